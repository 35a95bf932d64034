package io.memsync.cluster.control;

/** A control-plane value that memsync refuses: not an envelope, not signed with this cluster's key, or not for here. */
public final class ForgedValueException extends Exception {
    public ForgedValueException(String reason) {
        super(reason, null, false, false);
    }
}
