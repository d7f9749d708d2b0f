/*
 * A small asynchronous QMP client (QEMU Machine Protocol: newline-
 * delimited JSON over a UNIX socket) on the monitor's libevent loop.
 *
 * qmp_connect() keeps trying to connect until the socket appears (QEMU
 * creates it shortly after exec), reads the greeting, negotiates
 * capabilities and then calls ops->ready.  Events go to ops->event.  When
 * the connection is lost, or never came up before the deadline, ops->lost
 * is called with the connection already closed; the owner may call
 * qmp_connect() again from it.  Nothing here blocks the loop.
 */
#ifndef QMP_H
#define QMP_H

#include <jansson.h>

struct event_base;
struct qmp;

/* One asynchronous event; strings are valid during the callback only. */
struct qmp_event {
	const char	*name;		/* "SHUTDOWN", "POWERDOWN", ... */
	const char	*reason;	/* data.reason, or NULL */
	int		 guest;		/* data.guest: 0, 1, or -1 absent */
};

struct qmp_ops {
	void	(*ready)(struct qmp *, void *);
	void	(*event)(struct qmp *, const struct qmp_event *, void *);
	void	(*lost)(struct qmp *, const char *, void *);
};

/*
 * Reply to one command: error is NULL on success (ret is the "return"
 * value, borrowed) or QEMU's error description.  error is "connection
 * lost" when the connection closed before the reply came.
 */
typedef void qmp_reply_cb(struct qmp *, const char *, json_t *, void *);

/* path: the socket; name: prefix for log messages (the VM name). */
struct qmp	*qmp_new(struct event_base *, const char *, const char *,
		     const struct qmp_ops *, void *);
void		 qmp_free(struct qmp *);

/* Start connecting; give up (ops->lost) after timeout seconds. */
void		 qmp_connect(struct qmp *, double);
/* Close the connection and stop connecting; no callback. */
void		 qmp_close(struct qmp *);
/* Is the handshake done (commands accepted)? */
int		 qmp_is_ready(struct qmp *);
/*
 * Send a command with no arguments (key == NULL) or one string argument.
 * cb may be NULL: a failure is then logged.  0, or -1 with *cause when
 * the connection is not ready.
 */
int		 qmp_execute(struct qmp *, const char *, const char *,
		     const char *, qmp_reply_cb *, void *, char **);
/*
 * The peer has exited: read and handle everything it left in the socket
 * buffer now, without waiting for the loop (its last events may still be
 * unread when SIGCHLD is handled first).
 */
void		 qmp_drain(struct qmp *);

#endif
