/*
 * Asynchronous QMP client: connect with retries, greeting, capabilities
 * negotiation, commands with replies matched by id, events.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "compat.h"
#include "log.h"
#include "qmp.h"
#include "util.h"
#include "xmalloc.h"

#define QMP_RETRY_FIRST_MS	50	/* first attempt after spawn */
#define QMP_RETRY_MS		100
#define QMP_LINE_MAX		(1024 * 1024)
#define QMP_READ_SIZE		16384

enum qmp_state {
	QMP_IDLE,		/* not connected, not trying */
	QMP_CONNECTING,		/* retry timer armed */
	QMP_GREETING,		/* connected, waiting for {"QMP": ...} */
	QMP_CAPS,		/* qmp_capabilities sent */
	QMP_READY
};

struct qmp_pending {
	unsigned long		 id;
	char			*cmd;
	qmp_reply_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(qmp_pending) entry;
};
TAILQ_HEAD(qmp_pendings, qmp_pending);

struct qmp {
	struct event_base	*base;
	char			*path;
	char			*name;
	const struct qmp_ops	*ops;
	void			*arg;

	enum qmp_state		 state;
	int			 fd;
	struct event		*rev;
	struct event		*wev;
	struct event		*timer;
	struct evbuffer		*in;
	struct evbuffer		*out;
	double			 deadline;
	int			 last_errno;

	unsigned long		 next_id;
	struct qmp_pendings	 pending;
};

static void	qmp_try_cb(evutil_socket_t, short, void *);
static void	qmp_read_cb(evutil_socket_t, short, void *);
static void	qmp_write_cb(evutil_socket_t, short, void *);

struct qmp *
qmp_new(struct event_base *base, const char *path, const char *name,
    const struct qmp_ops *ops, void *arg)
{
	struct qmp	*q;

	q = xcalloc(1, sizeof *q);
	q->base = base;
	q->path = xstrdup(path);
	q->name = xstrdup(name);
	q->ops = ops;
	q->arg = arg;
	q->state = QMP_IDLE;
	q->fd = -1;
	q->timer = evtimer_new(base, qmp_try_cb, q);
	q->next_id = 1;
	TAILQ_INIT(&q->pending);
	return (q);
}

/* Drop the connection; pending replies fail with "connection lost". */
static void
qmp_disconnect(struct qmp *q)
{
	struct qmp_pending	*p;

	evtimer_del(q->timer);
	if (q->rev != NULL) {
		event_free(q->rev);
		q->rev = NULL;
	}
	if (q->wev != NULL) {
		event_free(q->wev);
		q->wev = NULL;
	}
	if (q->fd != -1) {
		close(q->fd);
		q->fd = -1;
	}
	if (q->in != NULL) {
		evbuffer_free(q->in);
		q->in = NULL;
	}
	if (q->out != NULL) {
		evbuffer_free(q->out);
		q->out = NULL;
	}
	q->state = QMP_IDLE;
	while ((p = TAILQ_FIRST(&q->pending)) != NULL) {
		TAILQ_REMOVE(&q->pending, p, entry);
		if (p->cb != NULL)
			p->cb(q, "connection lost", NULL, p->arg);
		free(p->cmd);
		free(p);
	}
}

void
qmp_close(struct qmp *q)
{
	struct qmp_pending	*p;

	if (q == NULL)
		return;
	TAILQ_FOREACH(p, &q->pending, entry)
		p->cb = NULL;
	qmp_disconnect(q);
}

void
qmp_free(struct qmp *q)
{
	if (q == NULL)
		return;
	qmp_close(q);
	event_free(q->timer);
	free(q->path);
	free(q->name);
	free(q);
}

int
qmp_is_ready(struct qmp *q)
{
	return (q != NULL && q->state == QMP_READY);
}

/* Close and tell the owner why (it may reconnect from the callback). */
static void
qmp_fail(struct qmp *q, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) == -1)
		why = NULL;
	va_end(ap);
	qmp_disconnect(q);
	if (q->ops != NULL && q->ops->lost != NULL)
		q->ops->lost(q, why != NULL ? why : "QMP failed", q->arg);
	free(why);
}

void
qmp_connect(struct qmp *q, double timeout)
{
	struct timeval	tv = { 0, QMP_RETRY_FIRST_MS * 1000 };

	qmp_disconnect(q);
	q->state = QMP_CONNECTING;
	q->deadline = mono_now() + timeout;
	q->last_errno = ENOENT;
	evtimer_add(q->timer, &tv);
}

/* One attempt: 0 connected, -1 not yet (errno set). */
static int
qmp_try_once(struct qmp *q)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, q->path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (fd_cloexec(fd) == -1 || fd_nonblock(fd) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	q->fd = fd;
	q->in = evbuffer_new();
	q->out = evbuffer_new();
	q->rev = event_new(q->base, fd, EV_READ | EV_PERSIST, qmp_read_cb,
	    q);
	q->wev = event_new(q->base, fd, EV_WRITE, qmp_write_cb, q);
	event_add(q->rev, NULL);
	q->state = QMP_GREETING;
	return (0);
}

static void
qmp_try_cb(evutil_socket_t fd, short events, void *arg)
{
	struct qmp	*q = arg;
	struct timeval	 tv = { 0, QMP_RETRY_MS * 1000 };

	if (q->state != QMP_CONNECTING)
		return;
	if (qmp_try_once(q) == 0) {
		log_debug("%s: QMP connected to %s", q->name, q->path);
		return;
	}
	q->last_errno = errno;
	if (errno == ENAMETOOLONG || mono_now() >= q->deadline) {
		qmp_fail(q, "cannot connect to QMP socket %s: %s", q->path,
		    strerror(q->last_errno));
		return;
	}
	evtimer_add(q->timer, &tv);
}

static void
qmp_flush(struct qmp *q)
{
	if (q->fd == -1)
		return;
	while (evbuffer_get_length(q->out) > 0) {
		if (evbuffer_write(q->out, q->fd) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(q->wev, NULL);
				return;
			}
			qmp_fail(q, "QMP write: %s", strerror(errno));
			return;
		}
	}
}

static void
qmp_write_cb(evutil_socket_t fd, short events, void *arg)
{
	qmp_flush(arg);
}

/* Queue one JSON object as a line. */
static void
qmp_send(struct qmp *q, json_t *msg)
{
	char	*s;

	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (s == NULL)
		fatalx("%s: QMP: cannot encode a command", q->name);
	evbuffer_add(q->out, s, strlen(s));
	evbuffer_add(q->out, "\n", 1);
	free(s);
	qmp_flush(q);
}

int
qmp_execute(struct qmp *q, const char *cmd, const char *key,
    const char *value, qmp_reply_cb *cb, void *arg, char **cause)
{
	struct qmp_pending	*p;
	json_t			*msg;

	if (!qmp_is_ready(q)) {
		if (cause != NULL)
			xasprintf(cause, "%s: QMP is not connected, cannot "
			    "send %s", q != NULL ? q->name : "?", cmd);
		return (-1);
	}
	p = xcalloc(1, sizeof *p);
	p->id = q->next_id++;
	p->cmd = xstrdup(cmd);
	p->cb = cb;
	p->arg = arg;
	TAILQ_INSERT_TAIL(&q->pending, p, entry);

	msg = json_pack("{s:s, s:I}", "execute", cmd, "id",
	    (json_int_t)p->id);
	if (key != NULL)
		json_object_set_new(msg, "arguments",
		    json_pack("{s:s}", key, value));
	log_debug("%s: QMP -> %s", q->name, cmd);
	qmp_send(q, msg);
	return (0);
}

static void
qmp_handle_reply(struct qmp *q, json_t *msg)
{
	struct qmp_pending	*p;
	json_t			*id, *err;
	const char		*desc = NULL;

	id = json_object_get(msg, "id");
	err = json_object_get(msg, "error");
	if (err != NULL) {
		desc = json_string_value(json_object_get(err, "desc"));
		if (desc == NULL)
			desc = "unknown error";
	}
	if (!json_is_integer(id)) {
		if (desc != NULL)
			log_warnx("%s: QMP error: %s", q->name, desc);
		return;
	}
	TAILQ_FOREACH(p, &q->pending, entry) {
		if (p->id == (unsigned long)json_integer_value(id))
			break;
	}
	if (p == NULL)
		return;
	TAILQ_REMOVE(&q->pending, p, entry);
	if (p->cb != NULL)
		p->cb(q, desc, json_object_get(msg, "return"), p->arg);
	else if (desc != NULL)
		log_warnx("%s: QMP %s failed: %s", q->name, p->cmd, desc);
	else
		log_debug("%s: QMP %s done", q->name, p->cmd);
	free(p->cmd);
	free(p);
}

static void
qmp_handle_event(struct qmp *q, json_t *msg)
{
	struct qmp_event	 ev;
	json_t			*data, *guest;

	memset(&ev, 0, sizeof ev);
	ev.name = json_string_value(json_object_get(msg, "event"));
	if (ev.name == NULL)
		return;
	data = json_object_get(msg, "data");
	ev.reason = json_string_value(json_object_get(data, "reason"));
	guest = json_object_get(data, "guest");
	ev.guest = json_is_boolean(guest) ? json_is_true(guest) : -1;
	log_debug("%s: QMP event %s%s%s", q->name, ev.name,
	    ev.reason != NULL ? " " : "", ev.reason != NULL ? ev.reason : "");
	if (q->ops != NULL && q->ops->event != NULL)
		q->ops->event(q, &ev, q->arg);
}

/* One complete message; returns -1 when the connection was closed. */
static int
qmp_handle_line(struct qmp *q, const char *line, size_t len)
{
	json_t		*msg;
	json_error_t	 jerr;
	const char	*desc;

	if (len == 0)
		return (0);
	msg = json_loadb(line, len, 0, &jerr);
	if (msg == NULL || !json_is_object(msg)) {
		json_decref(msg);
		qmp_fail(q, "QMP sent invalid JSON: %s", msg == NULL ?
		    jerr.text : "not an object");
		return (-1);
	}
	switch (q->state) {
	case QMP_GREETING:
		if (json_object_get(msg, "QMP") == NULL) {
			json_decref(msg);
			qmp_fail(q, "QMP greeting missing");
			return (-1);
		}
		q->state = QMP_CAPS;
		qmp_send(q, json_pack("{s:s}", "execute",
		    "qmp_capabilities"));
		break;
	case QMP_CAPS:
		if (json_object_get(msg, "event") != NULL) {
			qmp_handle_event(q, msg);
			break;
		}
		if (json_object_get(msg, "return") == NULL) {
			desc = json_string_value(json_object_get(
			    json_object_get(msg, "error"), "desc"));
			qmp_fail(q, "QMP capabilities negotiation failed: %s",
			    desc != NULL ? desc : "no reply");
			json_decref(msg);
			return (-1);
		}
		q->state = QMP_READY;
		log_debug("%s: QMP ready", q->name);
		if (q->ops != NULL && q->ops->ready != NULL)
			q->ops->ready(q, q->arg);
		break;
	case QMP_READY:
		if (json_object_get(msg, "event") != NULL)
			qmp_handle_event(q, msg);
		else
			qmp_handle_reply(q, msg);
		break;
	default:
		break;
	}
	json_decref(msg);
	return (q->fd == -1 ? -1 : 0);
}

/* Handle every complete line in the input buffer. */
static int
qmp_process(struct qmp *q)
{
	char	*line;
	size_t	 len;

	while (q->in != NULL &&
	    (line = evbuffer_readln(q->in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (qmp_handle_line(q, line, len) == -1) {
			free(line);
			return (-1);
		}
		free(line);
	}
	if (q->in != NULL && evbuffer_get_length(q->in) > QMP_LINE_MAX) {
		qmp_fail(q, "QMP message longer than %d bytes", QMP_LINE_MAX);
		return (-1);
	}
	return (0);
}

/* Read once: 1 more may follow, 0 would block, -1 closed. */
static int
qmp_read_once(struct qmp *q)
{
	int	n;

	n = evbuffer_read(q->in, q->fd, QMP_READ_SIZE);
	if (n == -1) {
		if (errno == EINTR)
			return (1);
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (0);
		qmp_fail(q, "QMP read: %s", strerror(errno));
		return (-1);
	}
	if (n == 0) {
		if (qmp_process(q) == -1)
			return (-1);
		qmp_fail(q, "QMP connection closed by QEMU");
		return (-1);
	}
	if (qmp_process(q) == -1)
		return (-1);
	return (1);
}

static void
qmp_read_cb(evutil_socket_t fd, short events, void *arg)
{
	qmp_read_once(arg);
}

void
qmp_drain(struct qmp *q)
{
	if (q == NULL)
		return;
	while (q->fd != -1 && q->state >= QMP_GREETING) {
		if (qmp_read_once(q) != 1)
			break;
	}
}
