package io.memsync.region.linux;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class KernelFeaturesTest {

    @AfterEach
    void clearMask() {
        System.clearProperty(KernelFeatures.MASK_PROPERTY);
    }

    /** KERNEL.md, "Probed 2026-12-02": this kernel has the fixes, so the probe must find them. */
    @Test
    void thisKernelReportsWritesToPagesWhosePteWasDropped() {
        KernelFeatures k = KernelFeatures.probe();
        assumeTrue(k.writeProtectTrackingAvailable(), "needs WP_ASYNC and PAGEMAP_SCAN: " + k.describe());
        assertTrue(k.pagemapScanSeesDroppedWrites(), k.droppedWritesProblem());
        assertTrue(k.describe().contains("PAGEMAP_SCAN sees writes to pages whose PTE was dropped: yes"),
                k.describe());
    }

    @Test
    void theMaskTakesAwayWhatItNamesAndNothingElse() {
        KernelFeatures real = KernelFeatures.get();
        assumeTrue(real.lazyRegionsAvailable() && real.writeProtectTrackingAvailable(), real.describe());
        assertSame(real, KernelFeatures.get(), "unmasked: the cached probe");

        System.setProperty(KernelFeatures.MASK_PROPERTY, "poison, " + KernelFeatures.MASK_DROPPED_WRITES);
        KernelFeatures masked = KernelFeatures.get();
        assertEquals(List.of("POISON", KernelFeatures.MASK_DROPPED_WRITES), masked.masked());
        assertFalse(masked.hasUserfaultfdFeatures(Userfaultfd.FEATURE_POISON));
        assertFalse(masked.lazyRegionsAvailable());
        assertTrue(masked.lazyShmemAvailable(), "MISSING_SHMEM was not masked");
        assertTrue(masked.lazyRegionsProblem().contains("Linux 6.6"), masked.lazyRegionsProblem());
        assertFalse(masked.pagemapScanSeesDroppedWrites());
        assertTrue(masked.writeProtectTrackingAvailable(), "wp stays available, with its range locked");
        String report = masked.describe();
        assertTrue(report.contains("masked (-Dmemsync.kernel.mask): POISON,PAGEMAP_SCAN_DROPPED_WRITES"), report);
        assertTrue(report.contains("the wp tracker locks what it tracks"), report);
        assertEquals(real.userfaultfdFeatures() & ~Userfaultfd.FEATURE_POISON, masked.userfaultfdFeatures());

        System.setProperty(KernelFeatures.MASK_PROPERTY, KernelFeatures.MASK_PAGEMAP_SCAN);
        assertFalse(KernelFeatures.get().writeProtectTrackingAvailable());
        assertTrue(KernelFeatures.get().writeProtectTrackingProblem().contains("-Dmemsync.kernel.mask"));
    }

    @Test
    void anUnknownMaskNameListsTheChoices() {
        System.setProperty(KernelFeatures.MASK_PROPERTY, "POISON,TELEPATHY");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, KernelFeatures::get);
        assertTrue(e.getMessage().contains("unknown name 'TELEPATHY'"), e.getMessage());
        assertTrue(e.getMessage().contains("WP_ASYNC") && e.getMessage().contains("PAGEMAP_SCAN_DROPPED_WRITES"),
                e.getMessage());
    }
}
