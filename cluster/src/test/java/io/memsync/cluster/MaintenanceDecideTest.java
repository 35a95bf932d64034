package io.memsync.cluster;

import io.memsync.cluster.Maintenance.Action;
import io.memsync.cluster.RegionRecord.Held;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.memsync.cluster.ClusterRegion.Role.LEARNER;
import static io.memsync.cluster.ClusterRegion.Role.OWNER;
import static io.memsync.cluster.ClusterRegion.Role.REPLICA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What a node does about one region, from the record and its copy alone; and who may succeed a dead owner. */
class MaintenanceDecideTest {
    private static final List<String> ALL = List.of("a", "b", "c", "d");

    private static RegionRecord record(String owner, long token, List<String> replicas, Set<String> serving,
                                       Map<String, Held> held, String migratingTo) {
        return new RegionRecord("r", 42, 1 << 20, 65536, owner, token, replicas, serving, held, 2, migratingTo);
    }

    private static RegionRecord owned(String owner) {
        return record(owner, 3, List.of("b", "c"), Set.of("b", "c"), Map.of("b", new Held(3, 5),
                "c", new Held(3, 5)), null);
    }

    @Test
    void withoutACopyANodeOpensAReplicaOrPreparesToLearnOrDoesNothing() {
        assertEquals(Action.OPEN_REPLICA, Maintenance.decide(owned("a"), null, 0, false, "b", ALL, false));
        assertEquals(Action.NONE, Maintenance.decide(owned("a"), null, 0, false, "d", ALL, false));
        RegionRecord migrating = record("a", 3, List.of("b", "c"), Set.of("b", "c"), Map.of(), "d");
        assertEquals(Action.PREPARE_LEARNER, Maintenance.decide(migrating, null, 0, false, "d", ALL, false));
    }

    @Test
    void anOwnerPlacesItsReplicasAndStepsDownWhenAnotherIsNamed() {
        assertEquals(Action.PLACE, Maintenance.decide(owned("a"), OWNER, 3, false, "a", ALL, false));
        assertEquals(Action.DEMOTE, Maintenance.decide(owned("b"), OWNER, 3, false, "a", ALL, false));
        RegionRecord migrating = record("a", 3, List.of("b", "c"), Set.of("b", "c"), Map.of(), "d");
        assertEquals(Action.NONE, Maintenance.decide(migrating, OWNER, 3, false, "a", ALL, true),
                "a migration from here runs: leave the mark");
        assertEquals(Action.END_STALE_MIGRATION, Maintenance.decide(migrating, OWNER, 3, false, "a", ALL, false));
    }

    @Test
    void aLearnerTakesOverAtTheHandoverOrIsDroppedWhenTheMigrationEnds() {
        RegionRecord handed = owned("d");
        assertEquals(Action.PROMOTE_LEARNER, Maintenance.decide(handed, LEARNER, 3, false, "d", ALL, false));
        RegionRecord migrating = record("a", 3, List.of("b", "c"), Set.of("b", "c"), Map.of(), "d");
        assertEquals(Action.NONE, Maintenance.decide(migrating, LEARNER, 3, false, "d", ALL, false));
        assertEquals(Action.DROP_LEARNER, Maintenance.decide(owned("a"), LEARNER, 3, false, "d", ALL, false));
    }

    @Test
    void aReplicaFollowsClaimsArmsAndDrops() {
        assertEquals(Action.NONE, Maintenance.decide(owned("a"), REPLICA, 3, false, "b", ALL, false));
        assertEquals(Action.ROLL_BACK_TOKEN, Maintenance.decide(owned("a"), REPLICA, 4, false, "b", ALL, false),
                "a token claimed on the losing side of a split brain");
        assertEquals(Action.PROMOTE, Maintenance.decide(owned("b"), REPLICA, 3, false, "b", ALL, false));
        assertEquals(Action.PROMOTE_ARMED, Maintenance.decide(owned("b"), REPLICA, 3, true, "b", ALL, false));
        RegionRecord toB = record("a", 3, List.of("b", "c"), Set.of("b", "c"), Map.of(), "b");
        assertEquals(Action.ARM, Maintenance.decide(toB, REPLICA, 3, false, "b", ALL, false));
        assertEquals(Action.DISARM, Maintenance.decide(owned("a"), REPLICA, 3, true, "b", ALL, false));
        RegionRecord notServing = record("a", 3, List.of("b", "c"), Set.of("c"), Map.of(), null);
        assertEquals(Action.REPORT_SERVING, Maintenance.decide(notServing, REPLICA, 3, false, "b", ALL, false));
        assertEquals(Action.DROP_REPLICA, Maintenance.decide(owned("a"), REPLICA, 3, false, "d", ALL, false));
        assertEquals(Action.CLAIM, Maintenance.decide(owned("a"), REPLICA, 3, false, "b", List.of("b", "c", "d"),
                false), "the owner is gone");
        assertEquals(Action.NONE, Maintenance.decide(owned("a"), REPLICA, 3, false, "d", List.of("b", "c", "d"),
                false), "a copy no longer placed is not dropped while its owner is gone");
    }

    @Test
    void theSuccessorHoldsTheMostAndTiesGoToTheGreatestUuid() {
        assertEquals("c", owned("a").successor(List.of("b", "c")));
        RegionRecord behind = record("a", 3, List.of("b", "c", "d"), Set.of("b", "c", "d"),
                Map.of("b", new Held(3, 7), "c", new Held(3, 5), "d", new Held(2, 9)), null);
        assertEquals("b", behind.successor(List.of("b", "c", "d")), "the greatest epoch under the newest token");
        assertNull(behind.successor(List.of("c", "d")), "the one holding the most is down: nobody claims");
        RegionRecord filling = record("a", 3, List.of("c", "d"), Set.of("c", "d"), Map.of("c", new Held(2, 4)),
                null);
        assertEquals("c", filling.successor(List.of("c", "d")), "d, being filled, holds nothing yet");
        RegionRecord nothing = record("a", 3, List.of("c", "d"), Set.of("c", "d"), Map.of(), null);
        assertNull(nothing.successor(List.of("c", "d")));
    }

    @Test
    void aClaimKeepsWhatReplicasHoldAndAHandoverRecordsTheFinalRoundsHolders() {
        RegionRecord r = record("a", 3, List.of("b", "c"), Set.of("b", "c"), Map.of("b", new Held(3, 5),
                "c", new Held(3, 4)), null);
        RegionRecord claimed = r.claimedBy("b", List.of("c", "d"));
        assertEquals(4, claimed.token());
        assertEquals(Map.of("c", new Held(3, 4)), claimed.held(), "c keeps what it held; d, new, holds nothing");
        assertEquals(-1, claimed.ackedEpoch("c"), "nothing acknowledged under the new owner yet");
        RegionRecord handed = record("a", 3, List.of("b", "c"), Set.of("b", "c"), Map.of(), "d")
                .handedTo("d", List.of("b", "a"));
        assertEquals(Map.of("a", new Held(4, 0), "b", new Held(4, 0)), handed.held());
        assertEquals(handed, handed.withHeld("b", new Held(3, 99)), "an old owner's late report is ignored");
    }
}
