//! talat-continuity: the parts of business continuity that need I/O.
//!
//! | module | one job |
//! |---|---|
//! | `etcd` | leadership as a lease in etcd (its v3 JSON gateway): campaign, keep-alive, the epoch counter |
//! | `etcd_server` | for tests: a throwaway single-member etcd on free loopback ports |
//! | `link` | the replication link over TCP: handshake, epoch fencing, records one way, acknowledgements back |

pub mod etcd;
#[doc(hidden)]
pub mod etcd_server;
pub mod link;
