#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "jline.h"
#include "log.h"
#include "xmalloc.h"

static void	jline_read_cb(struct bufferevent *, void *);
static void	jline_write_cb(struct bufferevent *, void *);
static void	jline_event_cb(struct bufferevent *, short, void *);

struct jline *
jline_new(struct event_base *base, int fd, size_t max, jline_line_cb line,
    jline_close_cb close, void *arg)
{
	struct jline	*jl;

	jl = xcalloc(1, sizeof *jl);
	jl->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (jl->bev == NULL)
		fatalx("bufferevent_socket_new failed");
	proto_framer_init(&jl->fr, max);
	jl->line_cb = line;
	jl->close_cb = close;
	jl->arg = arg;
	bufferevent_setcb(jl->bev, jline_read_cb, jline_write_cb,
	    jline_event_cb, jl);
	bufferevent_enable(jl->bev, EV_READ | EV_WRITE);
	return (jl);
}

void
jline_free(struct jline *jl)
{
	if (jl == NULL)
		return;
	if (jl->in_cb) {
		/* Freed from inside our own callback: finish there. */
		jl->dead = 1;
		return;
	}
	bufferevent_free(jl->bev);
	proto_framer_free(&jl->fr);
	free(jl);
}

static void
jline_fail(struct jline *jl, const char *why)
{
	if (jl->dead)
		return;
	bufferevent_disable(jl->bev, EV_READ);
	jl->close_cb(jl, why, jl->arg);
}

static void
jline_read_cb(struct bufferevent *bev, void *arg)
{
	struct jline	*jl = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		 buf[16384];
	const char	*line;
	size_t		 len;
	int		 n, r = 0;

	jl->in_cb++;
	while (!jl->dead && !jl->closing &&
	    (n = evbuffer_remove(in, buf, sizeof buf)) > 0) {
		if (jl->raw) {
			jl->raw_cb(jl, buf, n, jl->arg);
			continue;
		}
		if (proto_framer_feed(&jl->fr, buf, n) == -1) {
			jline_fail(jl, "line too long");
			break;
		}
		while (!jl->dead && !jl->raw && !jl->closing &&
		    (r = proto_framer_next(&jl->fr, &line, &len)) == 1)
			jl->line_cb(jl, line, len, jl->arg);
		if (jl->dead)
			break;
		if (jl->raw && proto_framer_pending(&jl->fr) > 0) {
			/* Bytes after the line that switched to raw. */
			const char	*p;

			p = jl->fr.buf + jl->fr.off;
			len = proto_framer_pending(&jl->fr);
			jl->raw_cb(jl, p, len, jl->arg);
			jl->fr.len = jl->fr.off = 0;
		}
		if (!jl->raw && !jl->dead && r == -1) {
			jline_fail(jl, "line too long");
			break;
		}
	}
	jl->in_cb--;
	if (jl->dead && jl->in_cb == 0) {
		jl->dead = 0;
		jline_free(jl);
	}
}

static void
jline_write_cb(struct bufferevent *bev, void *arg)
{
	struct jline	*jl = arg;

	if (jl->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		jl->in_cb++;
		jl->close_cb(jl, "closed", jl->arg);
		jl->in_cb--;
		if (jl->dead && jl->in_cb == 0) {
			jl->dead = 0;
			jline_free(jl);
		}
	}
}

static void
jline_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct jline	*jl = arg;

	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) == 0)
		return;
	jl->in_cb++;
	if (what & BEV_EVENT_EOF) {
		/* Process what is left, then report the close. */
		jline_read_cb(bev, jl);
		jline_fail(jl, "closed by peer");
	} else
		jline_fail(jl, strerror(EVUTIL_SOCKET_ERROR()));
	jl->in_cb--;
	if (jl->dead && jl->in_cb == 0) {
		jl->dead = 0;
		jline_free(jl);
	}
}

int
jline_write(struct jline *jl, const void *buf, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(jl->bev);

	if (jl->out_max != 0 && evbuffer_get_length(out) + len > jl->out_max)
		return (-1);
	evbuffer_add(out, buf, len);
	return (0);
}

int
jline_send(struct jline *jl, const json_t *msg)
{
	char	*s;
	size_t	 len;
	int	 r;

	s = proto_dump(msg, &len);
	r = jline_write(jl, s, len);
	free(s);
	return (r);
}

size_t
jline_outlen(struct jline *jl)
{
	return (evbuffer_get_length(bufferevent_get_output(jl->bev)));
}

void
jline_set_raw(struct jline *jl, jline_raw_cb cb)
{
	jl->raw = 1;
	jl->raw_cb = cb;
}

void
jline_close_after_flush(struct jline *jl)
{
	jl->closing = 1;
	bufferevent_disable(jl->bev, EV_READ);
	if (jline_outlen(jl) == 0) {
		jl->in_cb++;
		jl->close_cb(jl, "closed", jl->arg);
		jl->in_cb--;
		if (jl->dead && jl->in_cb == 0) {
			jl->dead = 0;
			jline_free(jl);
		}
	}
}

void
jline_pause(struct jline *jl, int pause)
{
	if (pause)
		bufferevent_disable(jl->bev, EV_READ);
	else
		bufferevent_enable(jl->bev, EV_READ);
}
