/*
 * A line-framed connection on a libevent bufferevent: newline-delimited
 * JSON to the agent's clients and between agent and monitors.  Reads are
 * split into lines by the protocol's framer (common/proto.c); writes are
 * queued and never block.  A connection can switch to raw mode (console).
 */
#ifndef JLINE_H
#define JLINE_H

#include <stddef.h>
#include <jansson.h>

#include "proto.h"

struct event_base;
struct bufferevent;
struct jline;

/* A complete line (without newline); return -1 to have the line freed. */
typedef void	(*jline_line_cb)(struct jline *, const char *, size_t, void *);
/* Raw bytes (after jline_set_raw). */
typedef void	(*jline_raw_cb)(struct jline *, const char *, size_t, void *);
/* The peer closed, errored, or sent a line over the limit: why says which. */
typedef void	(*jline_close_cb)(struct jline *, const char *, void *);

struct jline {
	struct bufferevent	*bev;
	struct proto_framer	 fr;
	jline_line_cb		 line_cb;
	jline_raw_cb		 raw_cb;
	jline_close_cb		 close_cb;
	void			*arg;
	size_t			 out_max;	/* 0: unlimited */
	int			 raw;
	int			 closing;	/* flush then close */
	int			 dead;
	int			 in_cb;
};

struct jline	*jline_new(struct event_base *, int, size_t, jline_line_cb,
		    jline_close_cb, void *);
void		 jline_free(struct jline *);
/* Queue a JSON message (one line).  -1 if the output limit is exceeded. */
int		 jline_send(struct jline *, const json_t *);
int		 jline_write(struct jline *, const void *, size_t);
size_t		 jline_outlen(struct jline *);
void		 jline_set_raw(struct jline *, jline_raw_cb);
/* Stop reading; close after the output has been written. */
void		 jline_close_after_flush(struct jline *);
void		 jline_pause(struct jline *, int);

#endif
