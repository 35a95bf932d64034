package io.memsync.cluster.wire;

import java.io.IOException;

/** A peer broke the protocol, or refused us: carries the protocol's error code; the connection is closed. */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public ProtocolException(int code, String message) {
        super(message + " (" + Protocol.errorName(code) + ")");
        this.code = code;
    }

    public int code() {
        return code;
    }
}
