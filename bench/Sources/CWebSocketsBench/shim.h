#define _GNU_SOURCE
#include <string.h>
#include <ev.h>
#include <libwebsockets.h>
#include <sys/resource.h>

// LWS_PRE is a macro: the bytes libwebsockets needs in front of every buffer passed to lws_write.
static inline size_t cwsb_pre(void) { return LWS_PRE; }

// The client runs on libev with epoll, as serve-chat does: lws's own poll() loop would scan every connection on
// each wake-up and make the load generator the bottleneck.
static inline struct ev_loop *cwsb_ev_loop_new(void) { return ev_loop_new(EVBACKEND_EPOLL); }
static inline void cwsb_ev_run_once(struct ev_loop *loop) { ev_run(loop, EVRUN_ONCE); }

// memmem is a GNU extension that Swift's Glibc module does not show.
static inline const void *cwsb_memmem(const void *haystack, size_t length, const void *needle, size_t needle_length) {
    return memmem(haystack, length, needle, needle_length);
}
