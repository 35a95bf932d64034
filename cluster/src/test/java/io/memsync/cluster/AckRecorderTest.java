package io.memsync.cluster;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a flush must tell the directory what the replicas acknowledged, and when it may skip the round trip. */
class AckRecorderTest {
    @Test
    void theFirstFlushOfAnOwnerIsRecorded() {
        assertTrue(AckRecorder.needsRecording(Map.of("a", 1L, "b", 1L), 2, Map.of()));
    }

    @Test
    void aSteadyStateWhereEveryReplicaHoldsEverythingIsNotRecordedAgain() {
        // The directory says 1 for both, the replicas hold 7: failover may pick either, and both hold everything.
        assertFalse(AckRecorder.needsRecording(Map.of("a", 7L, "b", 7L), 2, Map.of("a", 1L, "b", 1L)));
    }

    @Test
    void aReplicaBehindTheOthersIsRecordedAtEveryFlush() {
        assertTrue(AckRecorder.needsRecording(Map.of("a", 7L, "b", 6L), 2, Map.of("a", 1L, "b", 1L)));
        assertTrue(AckRecorder.needsRecording(Map.of("a", 8L, "b", 6L), 2, Map.of("a", 7L, "b", 6L)),
                "while it lags, the leader's epoch must keep rising in the directory");
    }

    @Test
    void aReplicaBeingFilledIsNoReasonToSkip() {
        // b's link broke and it is being refilled: failover must not take b's old, equal number for completeness.
        assertTrue(AckRecorder.needsRecording(Map.of("a", 9L), 2, Map.of("a", 5L, "b", 5L)));
    }

    @Test
    void catchingUpIsRecordedOnceSoThatTheDirectoryIsLevelAgain() {
        assertTrue(AckRecorder.needsRecording(Map.of("a", 9L, "b", 9L), 2, Map.of("a", 8L, "b", 6L)));
        assertFalse(AckRecorder.needsRecording(Map.of("a", 12L, "b", 12L), 2, Map.of("a", 9L, "b", 9L)));
    }

    @Test
    void aChangedReplicaSetIsRecorded() {
        assertTrue(AckRecorder.needsRecording(Map.of("a", 5L, "c", 5L), 2, Map.of("a", 1L, "b", 1L)));
    }

    @Test
    void noReplicaNothingToRecord() {
        assertFalse(AckRecorder.needsRecording(Map.of(), 0, Map.of()));
    }
}
