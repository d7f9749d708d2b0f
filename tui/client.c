/* The agent connection: framing, ids, replies, events, timeouts. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"
#include "client.h"

struct client_req {
	long			 id;
	client_reply_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(client_req)	 entry;
};

struct client {
	int			 fd;
	struct proto_framer	 fr;
	char			*out;
	size_t			 outlen;
	size_t			 outsize;
	long			 next_id;
	TAILQ_HEAD(, client_req) reqs;
	client_event_cb		*event_cb;
	void			*event_arg;
	char			*error;
	char			*refused;	/* the agent's code, if it refused us */
	int			 stop;	/* sync reply seen: stop */
};

/* A client_call in progress. */
struct client_wait {
	int	 done;
	json_t	*reply;
};

const char *
client_socket_path(const char *opt)
{
	const char	*env;

	if (opt != NULL)
		return (opt);
	if ((env = getenv(PROTO_SOCKET_ENV)) != NULL && *env != '\0')
		return (env);
	return (PROTO_SOCKET_DEFAULT);
}

static int
client_wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd	pfd;
	double		end = mono_now() + timeout_ms / 1000.0;
	int		n, left;

	for (;;) {
		left = (int)((end - mono_now()) * 1000);
		if (left < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left);
		if (n == -1 && errno == EINTR)
			continue;
		return (n);
	}
}

struct client *
client_connect(const char *path, int timeout_ms, char **cause)
{
	struct sockaddr_un	 sun;
	struct client		*c;
	double			 end = mono_now() + timeout_ms / 1000.0;
	socklen_t		 len;
	int			 fd, error;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		xasprintf(cause, "%s: socket path too long", path);
		return (NULL);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (NULL);
	}
	if (fd_cloexec(fd) == -1 || fd_nonblock(fd) == -1)
		goto fail;
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && mono_now() < end) {
			/* Listen queue full: try again shortly. */
			usleep(20000);
			continue;
		}
		if (errno != EINPROGRESS)
			goto fail;
		if (client_wait_fd(fd, POLLOUT,
		    (int)((end - mono_now()) * 1000)) <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		len = sizeof error;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
			goto fail;
		if (error != 0) {
			errno = error;
			goto fail;
		}
		break;
	}

	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->next_id = 1;
	proto_framer_init(&c->fr, PROTO_LINE_MAX);
	TAILQ_INIT(&c->reqs);
	return (c);

fail:
	xasprintf(cause, "cannot connect to the agent at %s: %s", path,
	    strerror(errno));
	close(fd);
	return (NULL);
}

static void
client_fail_all(struct client *c)
{
	struct client_req	*r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		if (r->cb != NULL)
			r->cb(c, NULL, r->arg);
		free(r);
	}
}

void
client_free(struct client *c)
{
	struct client_req	*r;

	if (c == NULL)
		return;
	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		free(r);
	}
	if (c->fd != -1)
		close(c->fd);
	proto_framer_free(&c->fr);
	free(c->out);
	free(c->error);
	free(c->refused);
	free(c);
}

int
client_fd(const struct client *c)
{
	return (c->fd);
}

void
client_set_event_cb(struct client *c, client_event_cb *cb, void *arg)
{
	c->event_cb = cb;
	c->event_arg = arg;
}

const char *
client_error(const struct client *c)
{
	return (c->error);
}

static int
client_lost(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
client_lost(struct client *c, const char *fmt, ...)
{
	va_list	ap;
	char	*msg;

	if (c->error == NULL) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) == -1)
			msg = xstrdup("connection to the agent lost");
		va_end(ap);
		c->error = msg;
	}
	client_fail_all(c);
	return (-1);
}

json_t *
client_request(const char *cmd)
{
	return (json_pack("{s:s}", PF_CMD, cmd));
}

long
client_send(struct client *c, json_t *req, client_reply_cb *cb, void *arg)
{
	struct client_req	*r;
	char			*line;
	size_t			 len;
	long			 id = c->next_id++;

	json_object_set_new(req, PF_ID, json_integer(id));
	line = proto_dump(req, &len);
	json_decref(req);
	if (c->outlen + len > c->outsize) {
		c->outsize = c->outlen + len + 4096;
		c->out = xrealloc(c->out, c->outsize);
	}
	memcpy(c->out + c->outlen, line, len);
	c->outlen += len;
	free(line);

	r = xcalloc(1, sizeof *r);
	r->id = id;
	r->cb = cb;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	return (id);
}

int
client_want_write(const struct client *c)
{
	return (c->outlen > 0);
}

int
client_write(struct client *c)
{
	ssize_t	n;

	while (c->outlen > 0) {
		n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			return (client_lost(c, "connection to the agent lost: "
			    "%s", strerror(errno)));
		}
		memmove(c->out, c->out + n, c->outlen - n);
		c->outlen -= n;
	}
	return (0);
}

static void
client_dispatch(struct client *c, json_t *msg)
{
	struct client_req	*r;
	json_t			*id;

	if (json_object_get(msg, PF_EVENT) != NULL) {
		if (c->event_cb != NULL)
			c->event_cb(c, msg, c->event_arg);
		return;
	}
	id = json_object_get(msg, PF_ID);
	if (id == NULL && json_is_false(json_object_get(msg, PF_OK))) {
		/* An error for no request: the agent refuses us. */
		const char *m = json_string_value(json_object_get(
		    json_object_get(msg, PF_ERROR), PF_MESSAGE));
		const char *code = json_string_value(json_object_get(
		    json_object_get(msg, PF_ERROR), PF_CODE));

		free(c->refused);
		c->refused = xstrdup(code != NULL ? code :
		    proto_error_name(ERR_PERMISSION));
		client_lost(c, "%s", m != NULL ? m : "refused by the agent");
		return;
	}
	if (!json_is_integer(id))
		return;		/* not ours: ignore */
	TAILQ_FOREACH(r, &c->reqs, entry) {
		if (r->id == json_integer_value(id))
			break;
	}
	if (r == NULL)
		return;
	TAILQ_REMOVE(&c->reqs, r, entry);
	if (r->cb != NULL)
		r->cb(c, msg, r->arg);
	free(r);
}

/* Dispatch the complete lines buffered; -1 on a protocol error. */
static int
client_dispatch_lines(struct client *c)
{
	const char	*line;
	size_t		 len;
	json_t		*msg;
	json_error_t	 jerr;
	int		 n;

	while (!c->stop) {
		n = proto_framer_next(&c->fr, &line, &len);
		if (n == 0)
			break;
		if (n == -1)
			return (client_lost(c, "the agent sent a line longer "
			    "than %d bytes", PROTO_LINE_MAX));
		if (len == 0)
			continue;
		msg = json_loadb(line, len, 0, &jerr);
		if (msg == NULL || !json_is_object(msg)) {
			json_decref(msg);
			return (client_lost(c, "the agent sent something that "
			    "is not a JSON object"));
		}
		client_dispatch(c, msg);
		json_decref(msg);
	}
	return (0);
}

int
client_read(struct client *c)
{
	char	buf[16384];
	ssize_t	n;

	if (c->error != NULL)
		return (-1);
	for (;;) {
		n = read(c->fd, buf, sizeof buf);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return (client_lost(c, "connection to the agent lost: "
			    "%s", strerror(errno)));
		}
		if (n == 0) {
			client_dispatch_lines(c);
			return (client_lost(c, "the agent closed the "
			    "connection"));
		}
		if (proto_framer_feed(&c->fr, buf, n) == -1)
			return (client_lost(c, "the agent sent a line longer "
			    "than %d bytes", PROTO_LINE_MAX));
		if (client_dispatch_lines(c) == -1)
			return (-1);
		if (c->stop)
			break;
	}
	return (client_dispatch_lines(c));
}

static void
client_wait_cb(struct client *c, json_t *reply, void *arg)
{
	struct client_wait	*w = arg;

	w->done = 1;
	if (reply != NULL) {
		w->reply = json_incref(reply);
		c->stop = 1;
	}
}

json_t *
client_call(struct client *c, json_t *req, int timeout_ms, char **cause)
{
	struct client_wait	 w = { 0, NULL };
	struct pollfd		 pfd;
	double			 end = mono_now() + timeout_ms / 1000.0;
	int			 left, n;

	client_send(c, req, client_wait_cb, &w);
	/* Lines left over from an earlier call come first. */
	if (client_dispatch_lines(c) == -1)
		goto lost;
	while (!w.done) {
		if (client_write(c) == -1)
			goto lost;
		left = (int)((end - mono_now()) * 1000);
		if (left <= 0) {
			xasprintf(cause, "the agent did not answer within %d "
			    "seconds", timeout_ms / 1000);
			return (NULL);
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN | (client_want_write(c) ? POLLOUT : 0);
		pfd.revents = 0;
		n = poll(&pfd, 1, left);
		if (n == -1 && errno != EINTR) {
			client_lost(c, "poll: %s", strerror(errno));
			goto lost;
		}
		if (n > 0 && client_read(c) == -1 && !w.done)
			goto lost;
	}
	c->stop = 0;
	if (w.reply == NULL)
		goto lost;
	return (w.reply);
lost:
	c->stop = 0;
	*cause = xstrdup(c->error != NULL ? c->error :
	    "connection to the agent lost");
	return (NULL);
}

json_t *
client_call_raw(struct client *c, json_t *req, int timeout_ms, char **cause)
{
	char		 ch, *line = NULL;
	size_t		 len = 0, size = 0;
	double		 end = mono_now() + timeout_ms / 1000.0;
	json_t		*msg;
	json_error_t	 jerr;
	ssize_t		 n;
	int		 left;

	client_send(c, req, NULL, NULL);
	while (client_want_write(c)) {
		if (client_write(c) == -1)
			goto lost;
		if (client_want_write(c) &&
		    client_wait_fd(c->fd, POLLOUT, 1000) == -1)
			goto lost;
	}
	/* Byte by byte: what follows the reply line is not ours. */
	for (;;) {
		left = (int)((end - mono_now()) * 1000);
		if (left <= 0) {
			free(line);
			xasprintf(cause, "the agent did not answer within %d "
			    "seconds", timeout_ms / 1000);
			return (NULL);
		}
		if (client_wait_fd(c->fd, POLLIN, left) <= 0)
			continue;
		n = read(c->fd, &ch, 1);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			client_lost(c, n == 0 ? "the agent closed the "
			    "connection" : "connection to the agent lost");
			goto lost;
		}
		if (ch != '\n') {
			if (len + 1 >= size) {
				size = size == 0 ? 256 : size * 2;
				line = xrealloc(line, size);
			}
			if (len >= PROTO_LINE_MAX) {
				client_lost(c, "the agent sent a line too "
				    "long");
				goto lost;
			}
			line[len++] = ch;
			continue;
		}
		msg = json_loadb(line != NULL ? line : "", len, 0, &jerr);
		len = 0;
		if (msg == NULL || !json_is_object(msg)) {
			json_decref(msg);
			client_lost(c, "the agent sent something that is not "
			    "a JSON object");
			goto lost;
		}
		if (json_object_get(msg, PF_EVENT) == NULL &&
		    json_object_get(msg, PF_ID) != NULL) {
			free(line);
			client_fail_all(c);	/* forget the request */
			return (msg);
		}
		client_dispatch(c, msg);
		json_decref(msg);
	}
lost:
	free(line);
	*cause = xstrdup(c->error != NULL ? c->error :
	    "connection to the agent lost");
	return (NULL);
}

int
client_detach(struct client *c)
{
	int	fd = c->fd;

	c->fd = -1;
	client_free(c);
	return (fd);
}

int
client_reply_ok(const json_t *reply, json_t **result, const char **code,
    const char **message)
{
	json_t	*err;

	if (json_is_true(json_object_get(reply, PF_OK))) {
		if (result != NULL)
			*result = json_object_get(reply, PF_RESULT);
		return (1);
	}
	err = json_object_get(reply, PF_ERROR);
	*code = json_string_value(json_object_get(err, PF_CODE));
	*message = json_string_value(json_object_get(err, PF_MESSAGE));
	if (*code == NULL)
		*code = proto_error_name(ERR_INTERNAL);
	if (*message == NULL)
		*message = "the agent refused the request";
	return (0);
}

struct client *
client_open(const char *path, int timeout_ms, char **cause, char **refused)
{
	struct client	*c;
	json_t		*req, *reply;
	const char	*code, *message;

	*refused = NULL;
	if ((c = client_connect(path, timeout_ms, cause)) == NULL)
		return (NULL);
	req = client_request(proto_cmds[CMD_HELLO].name);
	json_object_set_new(req, PF_VERSION, json_integer(PROTO_VERSION));
	if ((reply = client_call(c, req, timeout_ms, cause)) == NULL) {
		/* Refused (not allowed, too many clients): not unreachable. */
		if (c->refused != NULL)
			*refused = xstrdup(c->refused);
		client_free(c);
		return (NULL);
	}
	if (!client_reply_ok(reply, NULL, &code, &message)) {
		xasprintf(cause, "%s (%s)", message, code);
		*refused = xstrdup(code);
		json_decref(reply);
		client_free(c);
		return (NULL);
	}
	json_decref(reply);
	return (c);
}
