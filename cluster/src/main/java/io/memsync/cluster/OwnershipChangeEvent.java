package io.memsync.cluster;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A JFR event for this node gaining or losing the ownership of a region. */
@Name("io.memsync.cluster.OwnershipChangeEvent")
@Label("Ownership Change")
@Category("memsync")
@Description("This node gained or lost the ownership of a region (creation is not counted: failover, migration, a"
        + " deposed owner coming back)")
@StackTrace(false)
final class OwnershipChangeEvent extends jdk.jfr.Event {
    @Label("Region")
    @Description("Name of the region")
    String region;

    @Label("Gained")
    @Description("True if this node owns the region now, false if it lost it")
    boolean gained;

    @Label("New Owner")
    @Description("Member uuid of the region's owner from now on")
    String newOwner;

    @Label("Token")
    @Description("The fencing token of the new owner")
    long token;
}
