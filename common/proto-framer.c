/*
 * The line framer: bytes in, complete lines out, never buffering more
 * than one over-long line's worth.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto.h"
#include "xmalloc.h"

/* Above this, an emptied buffer is given back. */
#define FRAMER_KEEP	(64 * 1024)

void
proto_framer_init(struct proto_framer *f, size_t max)
{
	memset(f, 0, sizeof *f);
	f->max = max != 0 ? max : PROTO_LINE_MAX;
}

void
proto_framer_free(struct proto_framer *f)
{
	size_t	 max = f->max;

	free(f->buf);
	proto_framer_init(f, max);
}

static void
framer_compact(struct proto_framer *f)
{
	if (f->off == 0)
		return;
	memmove(f->buf, f->buf + f->off, f->len - f->off);
	f->len -= f->off;
	f->lstart -= f->off;
	f->off = 0;
	if (f->len == 0 && f->size > FRAMER_KEEP) {
		free(f->buf);
		f->buf = NULL;
		f->size = 0;
	}
}

static void
framer_append(struct proto_framer *f, const char *data, size_t n)
{
	size_t	 need = f->len + n, size;

	if (need > f->size) {
		size = f->size != 0 ? f->size : 4096;
		while (size < need)
			size *= 2;
		f->buf = xrealloc(f->buf, size);
		f->size = size;
	}
	memcpy(f->buf + f->len, data, n);
	f->len += n;
}

int
proto_framer_feed(struct proto_framer *f, const char *data, size_t n)
{
	const char	*nl;
	size_t		 k;

	if (f->error)
		return (-1);
	if (f->lstart < f->off || f->lstart > f->len)
		f->lstart = f->off;	/* the owner emptied the buffer */
	framer_compact(f);
	while (n > 0) {
		nl = memchr(data, '\n', n);
		k = nl != NULL ? (size_t)(nl - data) : n;
		if (f->len - f->lstart + k > f->max) {
			f->error = 1;
			return (-1);
		}
		if (nl == NULL) {
			framer_append(f, data, n);
			break;
		}
		framer_append(f, data, k + 1);
		f->lstart = f->len;
		data += k + 1;
		n -= k + 1;
	}
	return (0);
}

int
proto_framer_next(struct proto_framer *f, const char **line, size_t *lenp)
{
	char	*p, *nl;
	size_t	 n;

	if (f->off >= f->lstart)
		return (f->error ? -1 : 0);
	p = f->buf + f->off;
	nl = memchr(p, '\n', f->lstart - f->off);
	n = nl - p;
	f->off += n + 1;
	*nl = '\0';
	if (n > 0 && p[n - 1] == '\r')
		p[--n] = '\0';
	*line = p;
	*lenp = n;
	return (1);
}

size_t
proto_framer_pending(const struct proto_framer *f)
{
	return (f->len - f->off);
}

void
proto_framer_reset(struct proto_framer *f)
{
	f->len = f->off = f->lstart = 0;
}
