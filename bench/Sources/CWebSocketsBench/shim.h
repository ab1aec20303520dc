#include <libwebsockets.h>
#include <sys/resource.h>

// LWS_PRE is a macro: the bytes libwebsockets needs in front of every buffer passed to lws_write.
static inline size_t cwsb_pre(void) { return LWS_PRE; }
