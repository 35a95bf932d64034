package io.memsync.region;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkSetTest {

    @Test
    void matchesBitSetUnderRandomOperations() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            int capacity = 1 + random.nextInt(700);
            ChunkSet set = new ChunkSet(capacity);
            AtomicChunkSet atomic = new AtomicChunkSet(capacity);
            BitSet expected = new BitSet(capacity);
            for (int op = 0; op < 30; op++) {
                int from = random.nextInt(capacity + 1);
                int to = from + random.nextInt(capacity - from + 1);
                if (random.nextBoolean()) {
                    set.addRange(from, to);
                    atomic.addRange(from, to);
                    expected.set(from, to);
                } else if (from < capacity) {
                    set.add(from);
                    atomic.add(from);
                    expected.set(from);
                }
            }
            assertEquals(expected.cardinality(), set.cardinality());
            assertEquals(expected.cardinality(), atomic.cardinality());
            ChunkSet drained = new ChunkSet(capacity);
            atomic.drainTo(drained);
            assertEquals(0, atomic.cardinality());
            for (int i = 0; i <= capacity; i++) {
                int want = expected.nextSetBit(i);
                assertEquals(want, set.next(i), "next(" + i + ") of capacity " + capacity);
                assertEquals(want, drained.next(i));
            }
        }
    }

    @Test
    void concurrentAddsAreNeverLostByADrain() throws InterruptedException {
        int capacity = 4096;
        AtomicChunkSet marks = new AtomicChunkSet(capacity);
        ChunkSet collected = new ChunkSet(capacity);
        Thread[] adders = new Thread[2];
        for (int t = 0; t < adders.length; t++) {
            int offset = t;
            adders[t] = Thread.ofPlatform().start(() -> {
                for (int i = offset; i < capacity; i += adders.length) {
                    marks.add(i);
                }
            });
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((adders[0].isAlive() || adders[1].isAlive()) && System.nanoTime() < deadline) {
            marks.drainTo(collected);
        }
        for (Thread t : adders) {
            t.join(10_000);
        }
        marks.drainTo(collected);
        assertEquals(capacity, collected.cardinality());
    }

    @Test
    void boundsAreChecked() {
        ChunkSet set = new ChunkSet(10);
        assertThrows(IndexOutOfBoundsException.class, () -> set.add(10));
        assertThrows(IndexOutOfBoundsException.class, () -> set.add(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> set.addRange(5, 11));
        assertEquals(-1, set.next(0));
        assertTrue(set.isEmpty());
        set.addRange(3, 3);
        assertTrue(set.isEmpty());
    }
}
