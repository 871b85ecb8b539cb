//! Leadership as a lease in etcd.
