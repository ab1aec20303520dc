// uv.h comes first: libwebsockets.h declares its libuv helpers (lws_uv_getloop) only when libuv's header is in.
#include <uv.h>
#include <libwebsockets.h>
#include <malloc.h>

// LWS_PRE is a macro: the bytes libwebsockets needs in front of every buffer passed to lws_write.
static inline size_t cws_pre(void) { return LWS_PRE; }
