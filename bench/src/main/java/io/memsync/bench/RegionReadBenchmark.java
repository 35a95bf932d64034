package io.memsync.bench;

import io.memsync.region.Region;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Baseline for {@link TrackerScanBenchmark}: one plain pass reading every 8-byte word of a populated region of
 * {@code regionMiB}, measured in the same run. Any content-comparing tracker must do at least this per scan.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-Xms512m", "-Xmx2g"})
public class RegionReadBenchmark {
    /** Region size in MiB. */
    @Param("1024")
    public int regionMiB;

    private Region region;
    private MemorySegment segment;

    @Setup(Level.Trial)
    public void openRegion() {
        region = Region.builder("bench-read").size((long) regionMiB << 20).create();
        segment = region.segment();
        segment.fill((byte) 0x5a);
    }

    @Benchmark
    public long readAll() {
        MemorySegment s = segment;
        long size = s.byteSize();
        long sum = 0;
        for (long offset = 0; offset < size; offset += 8) {
            sum += s.get(JAVA_LONG, offset);
        }
        return sum;
    }

    @TearDown(Level.Trial)
    public void closeRegion() {
        region.close();
    }
}
