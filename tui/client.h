/*
 * The TUI's connection to the agent: newline-delimited JSON over a UNIX
 * socket (common/proto.h).  Requests get increasing integer ids; replies
 * are matched by id and handed to the request's callback, events go to
 * the event callback, in the order they arrive.  The same code serves
 * batch mode (client_call waits for one reply) and the full screen
 * (client_send + client_read from a poll loop).
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>
#include <jansson.h>

#define CLIENT_CONNECT_TIMEOUT	10000	/* ms */
#define CLIENT_CALL_TIMEOUT	30000	/* ms, a reply not deferred */

struct client;

/* Called with the reply (borrowed) or NULL when the connection is lost. */
typedef void	client_reply_cb(struct client *, json_t *, void *);
/* Called with each event object (borrowed). */
typedef void	client_event_cb(struct client *, json_t *, void *);

/* Which socket: --socket, else $ANLASSER_SOCKET, else the default. */
const char	*client_socket_path(const char *);

/* Connect within timeout_ms; NULL and *cause (new string) on failure. */
struct client	*client_connect(const char *, int, char **);
void		 client_free(struct client *);
int		 client_fd(const struct client *);
void		 client_set_event_cb(struct client *, client_event_cb *,
		     void *);

/*
 * Queue a request (req is stolen; "id" is set here) and return its id.
 * cb (may be NULL) gets the reply later, from client_read().
 */
long		 client_send(struct client *, json_t *, client_reply_cb *,
		     void *);
/* Is output waiting to be written? */
int		 client_want_write(const struct client *);
/* Write what the socket takes now; 0, or -1 when the connection broke. */
int		 client_write(struct client *);
/*
 * Read what is there and dispatch replies and events; 0, or -1 when the
 * connection is lost (then every pending callback got NULL and
 * client_error() says why).
 */
int		 client_read(struct client *);
/* Why the connection was lost (or NULL). */
const char	*client_error(const struct client *);

/*
 * Send a request and wait up to timeout_ms for its reply, dispatching
 * events meanwhile.  Returns the reply (new reference), or NULL with
 * *cause (new string) when the agent did not answer in time or the
 * connection broke.
 */
json_t		*client_call(struct client *, json_t *, int, char **);
/*
 * Like client_call, for a request after whose reply the socket becomes
 * a raw byte stream (console): nothing after the reply line is read.
 * Must be the only request outstanding.
 */
json_t		*client_call_raw(struct client *, json_t *, int, char **);
/* Take the socket back (the client is freed, the descriptor stays open). */
int		 client_detach(struct client *);

/* A new request object {"cmd": name}. */
json_t		*client_request(const char *);
/*
 * Look at a reply: 1 for ok (*result borrowed, may be NULL), 0 for an
 * error reply (*code and *message borrowed, never NULL).
 */
int		 client_reply_ok(const json_t *, json_t **, const char **,
		     const char **);
/*
 * Open a connection and say hello (version check).  NULL with *cause;
 * when the agent answered with an error (as opposed to not being
 * reachable) *refused is its code (new string), else NULL.
 */
struct client	*client_open(const char *, int, char **, char **);

#endif
