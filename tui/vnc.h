/*
 * A VM's screen over VNC (libvncclient), for the preview and the batch
 * verbs screen and send-keys.  The connection is driven from a poll
 * loop: vnc_fd()/vnc_events() say what to wait for, vnc_step() moves on.
 * Nothing blocks longer than VNC_READ_TIMEOUT (a stalled server), the
 * connect gives up after VNC_CONNECT_TIMEOUT, and a server that accepts
 * but does not greet within VNC_GREET_TIMEOUT is taken to be busy (bhyve
 * serves one client at a time; the next waits in the listen backlog).
 */
#ifndef VNC_H
#define VNC_H

#include <stddef.h>
#include <stdint.h>

#define VNC_CONNECT_TIMEOUT	5000	/* ms */
#define VNC_GREET_TIMEOUT	3000	/* ms */
#define VNC_READ_TIMEOUT	5	/* s, libvncclient readTimeout */
#define VNC_PASSWORD_ENV	"ANLASSER_VNC_PASSWORD"

enum vnc_state {
	VNC_CONNECTING,		/* TCP connect in progress */
	VNC_GREETING,		/* connected, waiting for "RFB 003.00x" */
	VNC_UP,			/* handshake done, frames arrive */
	VNC_FAILED		/* see vnc_error(), vnc_busy() */
};

struct vnc;

/*
 * Start connecting to host:port.  Never NULL: a connection that fails
 * at once is in state VNC_FAILED.  password may be NULL (then the
 * server must not ask for one).
 */
struct vnc	*vnc_new(const char *, int, const char *);
void		 vnc_free(struct vnc *);
enum vnc_state	 vnc_state(const struct vnc *);
/* Why it failed (or NULL). */
const char	*vnc_error(const struct vnc *);
/* Failed because another viewer holds the (one-client) server. */
int		 vnc_busy(const struct vnc *);
/* Failed in the handshake after the server asked for a password. */
int		 vnc_auth_failed(const struct vnc *);
int		 vnc_fd(const struct vnc *);
/* POLLIN/POLLOUT to wait for; 0 when failed. */
short		 vnc_events(const struct vnc *);
/* Data already read and buffered: call vnc_step without waiting. */
int		 vnc_pending(const struct vnc *);
/* ms until vnc_step must be called anyway (timeouts), -1: none. */
int		 vnc_timeout(const struct vnc *);
/* Move on: after the descriptor is ready or the timeout passed. -1: failed. */
int		 vnc_step(struct vnc *);
/*
 * The framebuffer: width * height pixels 0x00RRGGBB (NULL before the
 * handshake).  vnc_updates() counts the updates completed so far.
 */
const uint32_t	*vnc_frame(const struct vnc *, int *, int *);
unsigned long	 vnc_updates(const struct vnc *);
/* Send one key event (an X keysym); -1 when the connection broke. */
int		 vnc_key(struct vnc *, uint32_t, int);
/*
 * Run the connection until done() returns non-zero, the connection
 * fails or timeout_ms pass (then -1 with *cause).  For batch mode.
 */
int		 vnc_wait(struct vnc *, int (*)(struct vnc *, void *), void *,
		     int, char **);
/* Where libvncclient's messages go: log_debug (never the terminal). */
void		 vnc_log_init(void);

/*
 * vnc-worker.c: the connection in a thread of its own, for the full
 * screen, which must never wait for a stalled server.  The curses
 * thread polls vnc_worker_fd() for reading and then takes the state and
 * the last complete frame with vnc_worker_sync().
 */
struct vnc_view {
	enum vnc_state	 state;
	char		*error;		/* when failed */
	int		 busy;		/* another viewer holds the server */
	int		 auth;		/* the password was refused */
	uint32_t	*px;		/* width * height, 0x00RRGGBB */
	int		 width, height;
	size_t		 size;		/* pixels allocated */
	unsigned long	 updates;	/* frames copied so far */
	double		 step_since;	/* waiting for the server since */
};

struct vnc_worker;
struct vnc_keyev;

struct vnc_worker *vnc_worker_new(const char *, int, const char *);
void		 vnc_worker_free(struct vnc_worker *);
int		 vnc_worker_fd(const struct vnc_worker *);
/* Bring *view up to date; 1 when it holds a new frame. */
int		 vnc_worker_sync(struct vnc_worker *, struct vnc_view *);
void		 vnc_worker_keys(struct vnc_worker *, const struct vnc_keyev *,
		     size_t);
void		 vnc_view_free(struct vnc_view *);

/* vnc-keys.c */
struct vnc_keyev {
	uint32_t	keysym;
	int		down;
};

/*
 * Key events for one send-keys word: a key name (Enter, F1, Ctrl-X,
 * Ctrl-Alt-Del, ...) or text, Shift added for shifted characters.
 * Appends to *ev (reallocated, *n events); -1 and *cause when a
 * character cannot be typed.
 */
int		 vnc_keys_parse(const char *, struct vnc_keyev **, size_t *,
		     char **);
/* The key names, for the man page test and usage ("Enter", ...). */
extern const char *const	vnc_key_names[];
extern const size_t		vnc_key_nnames;

/* batch-vnc.c: the batch verbs screen and send-keys (exit status). */
char		*batch_vnc_password(const char *);
int		 batch_vnc_screen(const char *, const char *, int,
		     const char *, const char *, int);
int		 batch_vnc_send_keys(const char *, const char *, int,
		     const char *, int, int, char **);

#endif
