/*
 * The serial console, held by the monitor (it outlives the agent).
 *
 * The guest's com1 is read all the time, whether anyone watches or not,
 * into a ring buffer (the scrollback for new viewers) and into
 * LOG_DIR/NAME.console.log (rotated by size).  Viewers are connections on
 * the monitor's socket that sent {"cmd":"console"}: they get the recent
 * scrollback, then the live output; what any of them sends goes to the
 * guest.  Nothing here ever waits for a viewer: one that falls
 * CONSOLE_VIEWER_MAX bytes behind is disconnected.
 *
 * Sources: bhyve's com1 is an nmdm(4) pair; the monitor holds the B side
 * for the life of the VM (console-nmdm.c; elsewhere a pseudo-terminal
 * stands in for it, console-pty.c).  QEMU's is a UNIX socket QEMU
 * listens on; the monitor connects after every spawn.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <sys/types.h>

#include <jansson.h>

struct mon;
struct jline;

#define CONSOLE_RING_SIZE	(256 * 1024)	/* scrollback kept */
#define CONSOLE_REPLAY		(16 * 1024)	/* sent to a new viewer */
#define CONSOLE_VIEWER_MAX	(1024 * 1024)	/* unread, per viewer */
#define CONSOLE_MAX_VIEWERS	32
#define CONSOLE_INPUT_MAX	(64 * 1024)	/* queued to the guest */
#define CONSOLE_NMDM_ENV	"ANLASSER_NMDM_DIR"

/* console.c */
/* At monitor start, when the VM has console = yes: ring and log file. */
void	 console_init(struct mon *);
/* bhyve, before the first spawn: open the tty pair (kept open). */
int	 console_open_tty(struct mon *, char **);
/* QEMU, after each spawn: connect to its console socket (retrying). */
void	 console_connect(struct mon *, const char *);
/*
 * A connection asked for the console: reply (echoing the id, may be
 * NULL).  0: it is a viewer, owned by the console from now on (its
 * callbacks are replaced); -1: refused, the error reply is sent and the
 * caller keeps the connection.
 */
int	 console_viewer_add(struct mon *, struct jline *, const json_t *);
/* Final exit: drain, close viewers, the log and the tty. */
void	 console_free(struct mon *);

/* console-nmdm.c or console-pty.c */
/* The path bhyve gets for com1 (new string; no side effects). */
char	*console_tty_path(struct mon *);
/* Open (or make) our side of the pair; the descriptor or -1, *cause. */
int	 console_tty_open(struct mon *, char **);
/* Undo what console_tty_open made besides the descriptor. */
void	 console_tty_close(struct mon *);

#endif
