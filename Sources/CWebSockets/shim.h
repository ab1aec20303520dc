// uv.h comes first: libwebsockets.h declares its libuv helpers (lws_uv_getloop) only when libuv's header is in.
#include <uv.h>
#include <ev.h>
#include <libwebsockets.h>
#include <malloc.h>

// LWS_PRE is a macro: the bytes libwebsockets needs in front of every buffer passed to lws_write.
static inline size_t cws_pre(void) { return LWS_PRE; }

// libev's run flags are enum constants that Swift imports with their type; these keep the call sites plain.
static inline void cws_ev_run_once(struct ev_loop *loop) { ev_run(loop, EVRUN_ONCE); }
static inline void cws_ev_run_nowait(struct ev_loop *loop) { ev_run(loop, EVRUN_NOWAIT); }
static inline struct ev_loop *cws_ev_loop_new(void) { return ev_loop_new(EVBACKEND_EPOLL); }
