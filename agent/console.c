/*
 * The monitor's side of the serial console: capture (ring buffer and log
 * file), viewers, input.  See console.h for the model.
 *
 * Never blocking: the source and the viewers are non-blocking; output
 * is written to every viewer's queue at once and a viewer whose queue
 * passes CONSOLE_VIEWER_MAX is disconnected; input the guest does not
 * take is queued up to CONSOLE_INPUT_MAX, then dropped.  A log file that
 * cannot be written (disk full) is reported once and skipped until it
 * works again; the capture goes on.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "compat.h"
#include "console.h"
#include "jline.h"
#include "log.h"
#include "monitor.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

#define CONSOLE_CONNECT_WAIT	30.0	/* s for QEMU's socket to appear */
#define CONSOLE_RECONNECT_WAIT	5.0	/* s, after losing it */
#define CONSOLE_RETRY_MS	100
#define CONSOLE_TTY_RETRY_MS	1000	/* after EOF on the tty */
#define CONSOLE_LOG_RETRY	10.0	/* s between opening attempts */
#define CONSOLE_READS_PER_CB	16

enum console_kind {
	CONSOLE_NONE,
	CONSOLE_TTY,		/* bhyve: nmdm B side (or pty master) */
	CONSOLE_SOCKET		/* QEMU: its chardev socket */
};

struct console_viewer {
	struct jline			*jl;
	struct console			*con;
	TAILQ_ENTRY(console_viewer)	 entry;
};
TAILQ_HEAD(console_viewers, console_viewer);

struct console {
	struct mon		*mon;
	enum console_kind	 kind;
	int			 fd;		/* source, -1: none */
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_retry;
	struct evbuffer		*input;		/* to the guest */
	char			*sock_path;
	double			 retry_until;
	int			 input_dropped;

	char			*ring;
	size_t			 ring_len;	/* bytes held */
	size_t			 ring_pos;	/* next write */

	char			*log_path;
	int			 log_fd;
	off_t			 log_size;
	int			 log_failed;	/* reported, not again */
	double			 log_retry;

	struct console_viewers	 viewers;
	int			 nviewers;
};

static void	console_read_cb(evutil_socket_t, short, void *);
static void	console_write_cb(evutil_socket_t, short, void *);
static void	console_try_connect(struct console *);

/* ---------------------------------------------------------------- log */

static int
console_log_open(struct console *con)
{
	struct mon	*mon = con->mon;
	struct stat	 sb;
	char		*dir, *slash;
	double		 now = mono_now();

	if (now < con->log_retry)
		return (-1);
	dir = xstrdup(con->log_path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	if (mkdir_p(dir, 0750) == -1 ||
	    (con->log_fd = open(con->log_path, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0640)) == -1) {
		if (!con->log_failed)
			log_warn("%s: console log %s (capture goes on, "
			    "retrying every %.0f s)", mon->name, con->log_path,
			    CONSOLE_LOG_RETRY);
		con->log_failed = 1;
		con->log_retry = now + CONSOLE_LOG_RETRY;
		free(dir);
		return (-1);
	}
	free(dir);
	if (fstat(con->log_fd, &sb) == 0) {
		con->log_size = sb.st_size;
		if ((sb.st_mode & 0777) != 0640)
			fchmod(con->log_fd, 0640);
	} else
		con->log_size = 0;
	return (0);
}

/* NAME.console.log -> .1 -> .2 ... -> .keep; the oldest falls off. */
static void
console_log_rotate(struct console *con)
{
	char	*from, *to;
	int	 i, keep = con->mon->agent.console_log_keep;

	close(con->log_fd);
	con->log_fd = -1;
	for (i = keep - 1; i >= 1; i--) {
		xasprintf(&from, "%s.%d", con->log_path, i);
		xasprintf(&to, "%s.%d", con->log_path, i + 1);
		if (rename(from, to) == -1 && errno != ENOENT)
			log_warn("%s: rename %s", con->mon->name, from);
		free(from);
		free(to);
	}
	if (keep >= 1) {
		xasprintf(&to, "%s.1", con->log_path);
		if (rename(con->log_path, to) == -1)
			log_warn("%s: rename %s", con->mon->name,
			    con->log_path);
		free(to);
	} else
		unlink(con->log_path);
	console_log_open(con);
}

static void
console_log_write(struct console *con, const char *buf, size_t n)
{
	struct mon	*mon = con->mon;
	off_t		 max;
	ssize_t		 w;

	if (con->log_fd == -1 && console_log_open(con) == -1)
		return;
	max = (off_t)(mon->agent.console_log_max_kb > 0 ?
	    mon->agent.console_log_max_kb : 1024) * 1024;
	if (con->log_size > 0 && con->log_size + (off_t)n > max) {
		console_log_rotate(con);
		if (con->log_fd == -1)
			return;
	}
	w = write(con->log_fd, buf, n);
	if (w > 0)
		con->log_size += w;
	if (w != (ssize_t)n) {
		if (!con->log_failed)
			log_warn("%s: writing the console log %s (output is "
			    "not logged until this works again)", mon->name,
			    con->log_path);
		con->log_failed = 1;
		return;
	}
	if (con->log_failed) {
		mon_log(mon, "console log %s is written again",
		    con->log_path);
		con->log_failed = 0;
	}
}

/* --------------------------------------------------------------- ring */

static void
console_ring_add(struct console *con, const char *buf, size_t n)
{
	size_t	first;

	if (n > CONSOLE_RING_SIZE) {
		buf += n - CONSOLE_RING_SIZE;
		n = CONSOLE_RING_SIZE;
	}
	first = CONSOLE_RING_SIZE - con->ring_pos;
	if (first > n)
		first = n;
	memcpy(con->ring + con->ring_pos, buf, first);
	memcpy(con->ring, buf + first, n - first);
	con->ring_pos = (con->ring_pos + n) % CONSOLE_RING_SIZE;
	con->ring_len += n;
	if (con->ring_len > CONSOLE_RING_SIZE)
		con->ring_len = CONSOLE_RING_SIZE;
}

/* The last (at most) want bytes held, into out; how many. */
static size_t
console_ring_tail(struct console *con, char *out, size_t want)
{
	size_t	n, start, first;

	n = want < con->ring_len ? want : con->ring_len;
	start = (con->ring_pos + CONSOLE_RING_SIZE - n) % CONSOLE_RING_SIZE;
	first = CONSOLE_RING_SIZE - start;
	if (first > n)
		first = n;
	memcpy(out, con->ring + start, first);
	memcpy(out + first, con->ring, n - first);
	return (n);
}

/* ------------------------------------------------------------ viewers */

static void
console_viewer_free(struct console_viewer *v)
{
	struct console	*con = v->con;

	TAILQ_REMOVE(&con->viewers, v, entry);
	con->nviewers--;
	jline_free(v->jl);
	free(v);
}

static void
console_output(struct console *con, const char *buf, size_t n)
{
	struct console_viewer	*v, *next;

	console_ring_add(con, buf, n);
	console_log_write(con, buf, n);
	TAILQ_FOREACH_SAFE(v, &con->viewers, entry, next) {
		if (jline_write(v->jl, buf, n) == 0)
			continue;
		mon_log(con->mon, "a console viewer fell %d KiB behind; "
		    "disconnected", CONSOLE_VIEWER_MAX / 1024);
		console_viewer_free(v);
	}
}

static void
console_input(struct console *con, const char *buf, size_t n)
{
	ssize_t	w = 0;

	if (con->fd == -1)
		return;		/* no guest to type to right now */
	if (evbuffer_get_length(con->input) == 0) {
		w = write(con->fd, buf, n);
		if (w == -1)
			w = 0;
		if ((size_t)w == n)
			return;
	}
	if (evbuffer_get_length(con->input) + n - w > CONSOLE_INPUT_MAX) {
		if (!con->input_dropped)
			mon_log(con->mon, "the guest does not read its "
			    "console; input dropped");
		con->input_dropped = 1;
		return;
	}
	evbuffer_add(con->input, buf + w, n - w);
	event_add(con->ev_write, NULL);
}

static void
console_viewer_input_cb(struct jline *jl, const char *buf, size_t n,
    void *arg)
{
	struct console_viewer	*v = arg;

	console_input(v->con, buf, n);
}

static void
console_viewer_close_cb(struct jline *jl, const char *why, void *arg)
{
	struct console_viewer	*v = arg;

	log_debug("%s: console viewer: %s", v->con->mon->name, why);
	console_viewer_free(v);
}

/* The recent output, from a line start when it was cut. */
static void
console_replay(struct console *con, struct jline *jl)
{
	char	*buf, *p;
	size_t	 n;

	buf = xmalloc(CONSOLE_REPLAY);
	n = console_ring_tail(con, buf, CONSOLE_REPLAY);
	p = buf;
	if (n < con->ring_len || con->ring_len == CONSOLE_RING_SIZE) {
		if ((p = memchr(buf, '\n', n)) != NULL && p + 1 < buf + n)
			p++;
		else
			p = buf;
	}
	if (n > (size_t)(p - buf))
		jline_write(jl, p, n - (p - buf));
	free(buf);
}

int
console_viewer_add(struct mon *mon, struct jline *jl, const json_t *id)
{
	struct console		*con = mon->console;
	struct console_viewer	*v;
	json_t			*o;
	char			*msg;

	o = json_object();
	if (id != NULL)
		json_object_set(o, PF_ID, (json_t *)id);
	if (con == NULL || con->nviewers >= CONSOLE_MAX_VIEWERS) {
		if (con == NULL)
			xasprintf(&msg, "%s has no serial console (console "
			    "= no in its configuration)", mon->name);
		else
			xasprintf(&msg, "%s: already %d console viewers",
			    mon->name, CONSOLE_MAX_VIEWERS);
		json_object_set_new(o, PF_OK, json_false());
		json_object_set_new(o, PF_MESSAGE, json_string(msg));
		free(msg);
		jline_send(jl, o);
		json_decref(o);
		return (-1);
	}
	json_object_set_new(o, PF_OK, json_true());
	jline_send(jl, o);
	json_decref(o);

	v = xcalloc(1, sizeof *v);
	v->jl = jl;
	v->con = con;
	jl->close_cb = console_viewer_close_cb;
	jl->arg = v;
	jl->out_max = CONSOLE_VIEWER_MAX;
	jline_set_raw(jl, console_viewer_input_cb);
	console_replay(con, jl);
	TAILQ_INSERT_TAIL(&con->viewers, v, entry);
	con->nviewers++;
	log_debug("%s: console viewer %d attached", mon->name, con->nviewers);
	return (0);
}

/* ------------------------------------------------------------- source */

static void
console_source_set(struct console *con, int fd)
{
	struct event_base	*base = con->mon->base;

	con->fd = fd;
	con->input_dropped = 0;
	con->ev_read = event_new(base, fd, EV_READ | EV_PERSIST,
	    console_read_cb, con);
	con->ev_write = event_new(base, fd, EV_WRITE, console_write_cb, con);
	event_add(con->ev_read, NULL);
}

/* Read what is there, without waiting. */
static void
console_drain(struct console *con)
{
	char	buf[16384];
	ssize_t	n;
	int	i;

	for (i = 0; con->fd != -1 && i < 64; i++) {
		if ((n = read(con->fd, buf, sizeof buf)) <= 0)
			break;
		console_output(con, buf, n);
	}
}

static void
console_source_close(struct console *con)
{
	if (con->fd == -1)
		return;
	event_free(con->ev_read);
	event_free(con->ev_write);
	con->ev_read = con->ev_write = NULL;
	evbuffer_drain(con->input, evbuffer_get_length(con->input));
	close(con->fd);
	con->fd = -1;
}

static void
console_retry(struct console *con, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(con->ev_retry, &tv);
}

/* EOF or an error on the source. */
static void
console_source_lost(struct console *con, const char *why)
{
	if (con->kind == CONSOLE_TTY) {
		/* The other side is closed (bhyve between runs): wait. */
		event_del(con->ev_read);
		console_retry(con, CONSOLE_TTY_RETRY_MS);
		return;
	}
	log_debug("%s: console socket: %s", con->mon->name, why);
	console_source_close(con);
	if (con->mon->pid > 0) {
		con->retry_until = mono_now() + CONSOLE_RECONNECT_WAIT;
		console_retry(con, CONSOLE_RETRY_MS);
	}
}

static void
console_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct console	*con = arg;
	char		 buf[16384];
	ssize_t		 n;
	int		 i;

	for (i = 0; i < CONSOLE_READS_PER_CB; i++) {
		n = read(fd, buf, sizeof buf);
		if (n > 0) {
			console_output(con, buf, n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		console_source_lost(con, n == 0 ? "end of file" :
		    strerror(errno));
		return;
	}
}

static void
console_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct console	*con = arg;

	if (evbuffer_write(con->input, fd) == -1 && errno != EAGAIN &&
	    errno != EINTR) {
		evbuffer_drain(con->input, evbuffer_get_length(con->input));
		return;
	}
	if (evbuffer_get_length(con->input) > 0)
		event_add(con->ev_write, NULL);
	else
		con->input_dropped = 0;
}

static void
console_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct console	*con = arg;

	if (con->kind == CONSOLE_TTY && con->fd != -1)
		event_add(con->ev_read, NULL);
	else if (con->kind == CONSOLE_SOCKET && con->fd == -1)
		console_try_connect(con);
}

static void
console_try_connect(struct console *con)
{
	struct sockaddr_un	 sun;
	struct mon		*mon = con->mon;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, con->sock_path, sizeof sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		log_warn("%s: console socket", mon->name);
		return;
	}
	fd_cloexec(fd);
	fd_nonblock(fd);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 ||
	    errno == EINPROGRESS) {
		log_debug("%s: console connected to %s", mon->name,
		    con->sock_path);
		console_source_set(con, fd);
		return;
	}
	close(fd);
	if (mon->pid > 0 && mono_now() < con->retry_until)
		console_retry(con, CONSOLE_RETRY_MS);
	else if (mon->pid > 0)
		mon_log(mon, "cannot connect to the console socket %s: %s; "
		    "console output is not captured until the next boot",
		    con->sock_path, strerror(errno));
}

void
console_connect(struct mon *mon, const char *path)
{
	struct console	*con = mon->console;

	if (con == NULL)
		return;
	if (con->fd != -1) {
		console_drain(con);
		console_source_close(con);
	}
	free(con->sock_path);
	con->sock_path = xstrdup(path);
	con->kind = CONSOLE_SOCKET;
	con->retry_until = mono_now() + CONSOLE_CONNECT_WAIT;
	event_del(con->ev_retry);
	console_try_connect(con);
}

int
console_open_tty(struct mon *mon, char **cause)
{
	struct console	*con = mon->console;
	int		 fd;

	if (con == NULL || con->kind == CONSOLE_TTY)
		return (0);
	if ((fd = console_tty_open(mon, cause)) == -1)
		return (-1);
	con->kind = CONSOLE_TTY;
	console_source_set(con, fd);
	return (0);
}

/* ------------------------------------------------------------ life */

void
console_init(struct mon *mon)
{
	struct console	*con;

	if (!mon->vm->console || mon->console != NULL)
		return;
	con = xcalloc(1, sizeof *con);
	con->mon = mon;
	con->fd = -1;
	con->log_fd = -1;
	con->ring = xmalloc(CONSOLE_RING_SIZE);
	con->input = evbuffer_new();
	con->ev_retry = evtimer_new(mon->base, console_retry_cb, con);
	TAILQ_INIT(&con->viewers);
	xasprintf(&con->log_path, "%s/%s.console.log",
	    mon->agent.log_dir != NULL ? mon->agent.log_dir :
	    "/var/log/anlasser", mon->name);
	mon->console = con;
	console_log_open(con);
}

void
console_free(struct mon *mon)
{
	struct console		*con = mon->console;
	struct console_viewer	*v;

	if (con == NULL)
		return;
	console_drain(con);
	while ((v = TAILQ_FIRST(&con->viewers)) != NULL)
		console_viewer_free(v);
	console_source_close(con);
	if (con->kind == CONSOLE_TTY)
		console_tty_close(mon);
	event_free(con->ev_retry);
	evbuffer_free(con->input);
	if (con->log_fd != -1)
		close(con->log_fd);
	free(con->log_path);
	free(con->sock_path);
	free(con->ring);
	free(con);
	mon->console = NULL;
}
