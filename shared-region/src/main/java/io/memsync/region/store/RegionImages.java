package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSink;
import io.memsync.region.ChunkSource;
import io.memsync.region.Region;

import java.io.IOException;

/** Saves a whole region to a {@link ChunkSink} and loads one from a {@link ChunkSource}, chunk by chunk. */
public final class RegionImages {
    private RegionImages() {
    }

    /** Writes every chunk of {@code region} to {@code sink}, then syncs it. Returns the bytes written. */
    public static long save(Region region, ChunkSink sink) throws IOException {
        ChunkLayout layout = region.layout();
        checkLayout(layout, sink.layout(), "sink");
        for (int i = 0; i < layout.chunkCount(); i++) {
            sink.write(i, region.segment(), layout.offsetOf(i));
        }
        sink.sync();
        return layout.regionSize();
    }

    /** Reads every chunk of {@code source} into {@code region}. Returns the bytes read. */
    public static long load(ChunkSource source, Region region) throws IOException {
        ChunkLayout layout = region.layout();
        checkLayout(layout, source.layout(), "source");
        for (int i = 0; i < layout.chunkCount(); i++) {
            source.read(i, region.segment(), layout.offsetOf(i));
        }
        return layout.regionSize();
    }

    private static void checkLayout(ChunkLayout region, ChunkLayout other, String what) {
        if (!region.equals(other)) {
            throw new IllegalArgumentException("the " + what + " holds " + other + ", but the region has " + region);
        }
    }
}
