package example.app;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An application that knows nothing of memsync: it maps a file and reads and writes longs in it, driven by lines on
 * standard input. {@code buffer} maps it as a MappedByteBuffer, {@code segment} as a MemorySegment (both with
 * FileChannel.map), {@code native} with mmap(2) called directly, as native code would.
 * <p>
 * Commands: {@code put OFFSET VALUE}, {@code fill FROM COUNT BASE} (writes BASE+i at FROM+8i), {@code force},
 * {@code get OFFSET}, {@code await OFFSET VALUE MILLIS}, {@code check FROM COUNT BASE}, {@code exit}.
 */
public final class MappedFileApp {
    /** What mode "header" writes at offset 0 of a file it creates. */
    public static final long HEADER = 0x4d59484541444552L;
    public static void main(String[] args) throws Throwable {
        Path file = Path.of(args[0]);
        String how = args[1];
        long size = Long.parseLong(args[2]);
        MappedByteBuffer buffer = null;
        MemorySegment memory;
        // "header": like an application that makes its own file (Chronicle Map does): it writes a header when it
        // creates the file, and refuses a file that exists without one.
        boolean existed = java.nio.file.Files.exists(file) && java.nio.file.Files.size(file) > 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            switch (how) {
                case "buffer" -> {
                    buffer = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
                    buffer.order(ByteOrder.nativeOrder());
                    memory = MemorySegment.ofBuffer(buffer);
                }
                case "segment" -> memory = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, Arena.global());
                case "header" -> {
                    memory = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, Arena.global());
                    if (!existed) {
                        memory.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, HEADER);
                    } else if (memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != HEADER) {
                        System.out.println("REFUSED " + file + " exists without this application's header");
                        System.exit(3);
                    }
                }
                case "native" -> memory = nativeMap(file, size);
                default -> throw new IllegalArgumentException(how);
            }
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            String[] c = line.trim().split("\\s+");
            try {
                switch (c[0]) {
                    case "put" -> {
                        memory.set(ValueLayout.JAVA_LONG_UNALIGNED, Long.parseLong(c[1]), Long.parseLong(c[2]));
                        System.out.println("ok");
                    }
                    case "fill" -> {
                        long from = Long.parseLong(c[1]);
                        long base = Long.parseLong(c[3]);
                        for (int i = 0; i < Integer.parseInt(c[2]); i++) {
                            memory.set(ValueLayout.JAVA_LONG_UNALIGNED, from + 8L * i, base + i);
                        }
                        System.out.println("ok");
                    }
                    case "force" -> {
                        long start = System.nanoTime();
                        if (buffer != null) {
                            buffer.force();
                        } else {
                            memory.force();
                        }
                        System.out.println("ok forced in " + (System.nanoTime() - start) / 1000 + " us");
                    }
                    case "get" -> System.out.println("value " + memory.get(ValueLayout.JAVA_LONG_UNALIGNED,
                            Long.parseLong(c[1])));
                    case "await" -> {
                        long offset = Long.parseLong(c[1]);
                        long want = Long.parseLong(c[2]);
                        long deadline = System.nanoTime() + Long.parseLong(c[3]) * 1_000_000;
                        long start = System.nanoTime();
                        long v;
                        while ((v = memory.get(ValueLayout.JAVA_LONG_UNALIGNED, offset)) != want
                                && System.nanoTime() < deadline) {
                            Thread.sleep(2);
                        }
                        System.out.println(v == want ? "ok after " + (System.nanoTime() - start) / 1_000_000 + " ms"
                                : "timeout value " + v);
                    }
                    case "check" -> {
                        long from = Long.parseLong(c[1]);
                        long base = Long.parseLong(c[3]);
                        int bad = 0;
                        for (int i = 0; i < Integer.parseInt(c[2]); i++) {
                            if (memory.get(ValueLayout.JAVA_LONG_UNALIGNED, from + 8L * i) != base + i) {
                                bad++;
                            }
                        }
                        System.out.println(bad == 0 ? "ok" : "mismatch " + bad);
                    }
                    case "exit" -> {
                        System.out.println("bye");
                        System.exit(0);
                    }
                    default -> System.out.println("error unknown command " + c[0]);
                }
            } catch (Exception e) {
                System.out.println("error " + e);
            }
        }
    }

    /** mmap(2) through the C library, MAP_SHARED, as a native library would map the file. */
    private static MemorySegment nativeMap(Path file, long size) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle open = linker.downcallHandle(linker.defaultLookup().findOrThrow("open"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        MethodHandle ftruncate = linker.downcallHandle(linker.defaultLookup().findOrThrow("ftruncate"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MethodHandle mmap = linker.downcallHandle(linker.defaultLookup().findOrThrow("mmap"),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = (int) open.invokeExact(a.allocateFrom(file.toString()), 02 | 0100); // O_RDWR | O_CREAT
        }
        if (fd < 0) {
            throw new IllegalStateException("open " + file + " failed");
        }
        if ((int) ftruncate.invokeExact(fd, size) != 0) {
            throw new IllegalStateException("ftruncate failed");
        }
        MemorySegment at = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, 3, 1, fd, 0L);
        if (at.address() == -1L) {
            throw new IllegalStateException("mmap failed");
        }
        return at.reinterpret(size);
    }
}
