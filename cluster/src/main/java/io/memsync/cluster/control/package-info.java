/**
 * The signed control plane: what memsync nodes write into Hazelcast (directory records, data endpoints, paging
 * progress, requests to other members) travels as a {@link io.memsync.cluster.control.Envelope}: memsync's own
 * bytes, never a Java-serialized object, with a version and an HMAC-SHA256 under a key derived from the cluster
 * secret ({@link io.memsync.cluster.control.ControlKey}). A member or client that does not know the secret can
 * neither forge nor alter one; {@link io.memsync.cluster.control.Versions} makes an old one useless, and
 * {@link io.memsync.cluster.control.ReplayGuard} a request sent twice; {@link io.memsync.cluster.control.Forgeries}
 * counts and logs what was refused. Owns: the envelope format and its key. Uses: the JDK only; knows nothing of
 * regions or Hazelcast.
 */
package io.memsync.cluster.control;
