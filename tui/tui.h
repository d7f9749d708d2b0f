/*
 * anlasser-tui: the internal header, one section of prototypes per file.
 * client.h (the agent connection) is separate: batch mode and the full
 * screen both use it.
 */
#ifndef TUI_H
#define TUI_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <curses.h>

#include "client.h"

#include "proto.h"

#define TUI_NAME	"anlasser-tui"

/* Exit statuses (batch mode); written up in anlasser-tui.1. */
#define EXIT_OK		0
#define EXIT_FAILED	1	/* the agent refused, or it failed */
#define EXIT_USAGE	2
#define EXIT_UNREACHABLE 3	/* connect failed or the connection dropped */

/* model.c */
enum model_sort {
	SORT_NAME,
	SORT_STATE,
	SORT_VCPUS,
	SORT_MEMORY,
	SORT_UPTIME,
	MODEL_NSORTS
};

struct model_vm {
	struct vm_info	 info;
	double		 stamp;		/* mono_now() at arrival */
	json_t		*extra;		/* the whole wire object */
};

struct model_sort_entry {
	const char	*name;
	int		(*cmp)(const struct model_vm *,
			    const struct model_vm *);
};

struct model {
	struct model_vm	**vms;
	size_t		  nvms;
	size_t		  size;
	size_t		 *order;	/* shown: filtered, sorted */
	size_t		  norder;
	enum model_sort	  sort;
	int		  reverse;
	char		 *filter;
	unsigned long	  generation;	/* bumped on every change */
};

extern const struct model_sort_entry	model_sorts[MODEL_NSORTS];

void		 model_init(struct model *);
void		 model_free(struct model *);
struct model_vm	*model_find(const struct model *, const char *);
int		 model_update(struct model *, const json_t *, double,
		     char **);
int		 model_set_list(struct model *, const json_t *, double,
		     char **);
void		 model_remove(struct model *, const char *);
long long	 model_uptime(const struct model_vm *, double);
int		 model_match(const struct model *, const struct model_vm *);
void		 model_refresh(struct model *);
struct model_vm	*model_shown(const struct model *, size_t);
long		 model_index(const struct model *, const char *);
void		 model_set_filter(struct model *, const char *);
void		 model_set_sort(struct model *, enum model_sort, int);
size_t		 model_count(const struct model *, enum vm_state);

/* screen.c */
struct screen;

/* Key codes: characters as themselves, curses function keys flagged. */
#define KEYC_FN(k)	((k) | 0x1000000)
#define KEYC_CTRL(c)	((c) & 0x1f)
#define KEYC_ENTER	'\r'
#define KEYC_ESC	0x1b
#define KEYC_TAB	'\t'
#define KEYC_BSPACE	KEYC_FN(KEY_BACKSPACE)

struct key_binding {
	int		 key;
	const char	*label;		/* as the help shows it */
	const char	*footer;	/* word in the footer, NULL: none */
	int		 flags;
#define KEY_F_PIN	0x1		/* always in the footer */
	const char	*help;
	void		(*fn)(struct screen *);
};

struct view {
	const char		 *name;		/* help, man page */
	const struct key_binding *keys;
	size_t			  nkeys;
	void			(*draw)(struct screen *);
	/* A typed character no key binding took (text entry); NULL: none. */
	void			(*text)(struct screen *, int);
	int			  overlay;	/* over the view below */
};

#define SCREEN_MAXVIEWS	8
#define SCREEN_INPUT_MAX 128
#define CREATE_NFIELDS	9	/* fields of the new-VM form */

struct screen {
	const char		*socket;
	struct client		*client;
	int			 up;		/* hello and list done */
	char			*conn_error;	/* why not connected */
	double			 retry_at;
	double			 retry_delay;

	struct model		 model;
	const struct view	*stack[SCREEN_MAXVIEWS];
	int			 nstack;

	char			*sel;		/* list: selected VM */
	size_t			 top;		/* list: first row */

	char			*detail;	/* details: which VM */
	json_t			*detail_argv;
	json_t			*detail_log;
	char			*detail_log_error;
	int			 detail_scroll;
	int			 detail_rows;	/* rows last drawn */

	int			 help_scroll;
	int			 help_rows;
	const struct view	*help_of;

	enum proto_cmd		 confirm_cmd;	/* confirm: what */
	char			*confirm_vm;
	char			*confirm_text;

	char			 input[SCREEN_INPUT_MAX]; /* filter */

	json_t			*isos;		/* [{path, size}] */
	char			*iso_vm;
	char			 iso_filter[SCREEN_INPUT_MAX];
	size_t			 iso_sel;
	size_t			 iso_top;
	int			 iso_boot;

	char			 create_input[CREATE_NFIELDS]
				     [SCREEN_INPUT_MAX];	/* new VM */
	int			 create_field;

	char			*msg;
	int			 msg_error;
	double			 msg_until;	/* 0: until a key */

	struct preview		*preview;	/* the VM screen view */

	int			 colour;
	int			 drop;		/* close the client */
	int			 dirty;
	int			 quit;
};

/* The full screen: runs until the user quits; returns an exit status. */
int		 screen_main(const char *);
void		 screen_push(struct screen *, const struct view *);
void		 screen_pop(struct screen *);
const struct view *screen_top(struct screen *);
/* The VM the user means: the details' VM, else the selected one. */
const char	*screen_target(struct screen *);
void		 screen_message(struct screen *, int, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
void		 screen_redraw(struct screen *);
void		 screen_quit(struct screen *);
void		 screen_help(struct screen *);
/* Suspend the screen for the serial console of a VM. */
void		 screen_console(struct screen *, const char *);
/* Queue a request to the agent; cb as for client_send.  -1: offline. */
long		 screen_send(struct screen *, json_t *, client_reply_cb *,
		     void *);

/* keys.c */
extern const struct view	view_list;
extern const struct view	view_detail;
extern const struct view	view_help;
extern const struct view	view_confirm;
extern const struct view	view_filter;
extern const struct view	view_iso;
extern const struct view	view_create;
extern const struct view	view_preview;
extern const struct view *const	views_all[];
extern const size_t		views_nall;
const struct key_binding *key_find(const struct view *, int);
/* "Up", "Enter", "^L", "s" ... for a key code (static buffer). */
const char	*key_name(int);

/* draw.c */
#define COLOUR_RUNNING	1
#define COLOUR_BUSY	2	/* starting, stopping, rebooting */
#define COLOUR_FAILED	3
#define COLOUR_TITLE	4
#define COLOUR_ERROR	5
#define COLOUR_DIM	6
void		 draw_init(struct screen *);
void		 draw_init_pairs(void);
int		 draw_state_attr(struct screen *, enum vm_state);
/* Text at (y, x) in at most width columns, padded with blanks. */
int		 draw_text(int, int, int, const char *, int);
int		 draw_text_right(int, int, int, const char *, int);
/* Display width of a UTF-8 string (invalid bytes count 1). */
int		 draw_width(const char *);
void		 draw_hline(int, int, int);
void		 draw_title(struct screen *, const char *);
void		 draw_footer(struct screen *);
void		 draw_message(struct screen *);
void		 draw_box(int, int, int, int, const char *);

/* action.c */
/* Ask the agent to do cmd to a VM, report the outcome on the message line. */
void		 action_vm(struct screen *, enum proto_cmd, const char *,
		     json_t *);
void		 action_start(struct screen *);
void		 action_stop(struct screen *);
void		 action_poweroff(struct screen *);
void		 action_reset(struct screen *);
void		 action_restart(struct screen *);
void		 action_attach_iso(struct screen *);
void		 action_detach_iso(struct screen *);
void		 action_console(struct screen *);
void		 action_reload(struct screen *);

/* view-list.c */
void		 view_list_draw(struct screen *);
void		 list_up(struct screen *);
void		 list_down(struct screen *);
void		 list_page_up(struct screen *);
void		 list_page_down(struct screen *);
void		 list_home(struct screen *);
void		 list_end(struct screen *);
void		 list_details(struct screen *);
void		 list_sort(struct screen *);
void		 list_reverse(struct screen *);
void		 list_filter(struct screen *);
/* Keep the selection on a shown VM after the model changed. */
void		 list_fix_selection(struct screen *);

/* view-detail.c */
void		 view_detail_draw(struct screen *);
void		 detail_open(struct screen *, const char *);
void		 detail_close(struct screen *);
void		 detail_refresh(struct screen *);
void		 detail_up(struct screen *);
void		 detail_down(struct screen *);
void		 detail_page_up(struct screen *);
void		 detail_page_down(struct screen *);

/* view-help.c */
void		 view_help_draw(struct screen *);
void		 help_close(struct screen *);
void		 help_up(struct screen *);
void		 help_down(struct screen *);
void		 help_page_up(struct screen *);
void		 help_page_down(struct screen *);

/* prompt.c */
/* Ask before doing cmd to vm: y does it, n or Esc does not. */
void		 prompt_confirm(struct screen *, enum proto_cmd,
		     const char *, const char *);
void		 view_confirm_draw(struct screen *);
void		 confirm_yes(struct screen *);
void		 confirm_no(struct screen *);
void		 view_filter_draw(struct screen *);
void		 filter_text(struct screen *, int);
void		 filter_accept(struct screen *);
void		 filter_cancel(struct screen *);
void		 filter_backspace(struct screen *);
/* Append a typed character (UTF-8) to a buffer; remove the last one. */
int		 input_add(char *, size_t, int);
void		 input_del(char *);

/* view-create.c */
void		 create_open(struct screen *);
void		 create_cancel(struct screen *);
void		 create_text(struct screen *, int);
void		 create_backspace(struct screen *);
void		 create_next(struct screen *);
void		 create_prev(struct screen *);
void		 create_submit(struct screen *);
void		 view_create_draw(struct screen *);
void		 action_delete(struct screen *);

/* view-iso.c */
void		 iso_open(struct screen *, const char *, json_t *);
void		 view_iso_draw(struct screen *);
void		 iso_text(struct screen *, int);
void		 iso_up(struct screen *);
void		 iso_down(struct screen *);
void		 iso_toggle_boot(struct screen *);
void		 iso_choose(struct screen *);
void		 iso_cancel(struct screen *);
void		 iso_backspace(struct screen *);

/* view-preview.c */
struct pollfd;
struct glyph_screen;
#define PREVIEW_LEAVE	KEYC_CTRL(']')	/* leaves input mode */
void		 preview_open(struct screen *);
void		 preview_close(struct screen *);
void		 preview_toggle(struct screen *);
void		 preview_input(struct screen *);
void		 preview_cad(struct screen *);
/* Input mode: the key went to the VM (1) or is the TUI's (0). */
int		 preview_key(struct screen *, int);
/* The VNC descriptor for poll; returns a timeout in ms or -1. */
int		 preview_poll(struct screen *, struct pollfd *);
void		 preview_io(struct screen *);
void		 preview_end(struct screen *);
void		 view_preview_draw(struct screen *);
/* An RGB colour as a curses colour number for this terminal. */
int		 preview_colour(uint32_t);
/* Draw into stdscr from row top, height rows, width columns. */
void		 preview_render_text(const struct glyph_screen *, int, int,
		     int, int);
void		 preview_render_pixels(const uint32_t *, int, int, int, int,
		     int);

/* batch.c */
#define BATCH_O_TIMEOUT	0x1	/* --timeout seconds */
#define BATCH_O_NOWAIT	0x2	/* --no-wait */
#define BATCH_O_BOOT	0x4	/* --boot */
#define BATCH_O_LINES	0x8	/* --lines n */
#define BATCH_O_FONT	0x10	/* --font path (screen) */
/* create: each value goes to the request field of the same meaning. */
#define BATCH_O_DISK_SIZE	0x100	/* --disk-size size */
#define BATCH_O_MEMORY		0x200	/* --memory mb */
#define BATCH_O_CPUS		0x400	/* --cpus n */
#define BATCH_O_SOCKETS		0x800	/* --sockets n */
#define BATCH_O_CORES		0x1000	/* --cores n */
#define BATCH_O_THREADS		0x2000	/* --threads n */
#define BATCH_O_DISK_DIR	0x4000	/* --disk-dir dir */
#define BATCH_O_ZFS		0x8000	/* --zfs-dataset parent */
#define BATCH_O_RECORDSIZE	0x10000	/* --recordsize size */
#define BATCH_O_ISO		0x20000	/* --iso path */
#define BATCH_O_MAC		0x40000	/* --mac mac */
#define BATCH_O_BRIDGE		0x80000	/* --bridge bridge */
#define BATCH_O_FIRMWARE	0x100000 /* --firmware firmware */
#define BATCH_O_FIELDS		0x1fff00 /* all of the above */

struct batch;

struct batch_opt {
	int		 flag;
	const char	*name;		/* "--timeout" */
	const char	*arg;		/* "seconds", NULL: a switch */
	const char	*field;		/* request field */
	const char	*help;
};

struct batch_verb {
	const char	*verb;
	enum proto_cmd	 cmd;
	int		 minargs;
	int		 maxargs;
	const char	*args;		/* positional, for usage */
	int		 options;	/* BATCH_O_* */
	int		 timeout;	/* seconds to wait for the reply */
	int		(*handler)(struct batch *);
	const char	*help;
};

extern const struct batch_verb	batch_verbs[];
extern const size_t		batch_nverbs;
extern const struct batch_opt	batch_opts[];
extern const size_t		batch_nopts;

const struct batch_verb *batch_find(const char *);
const struct batch_opt	*batch_find_opt(const char *);
/* "stop name [--timeout seconds] [--no-wait]" (new string). */
char		*batch_usage(const struct batch_verb *);
void		 batch_usage_all(FILE *);
/* Run one verb: argv holds the verb's arguments and options. */
int		 batch_main(const char *, int, int, char **);
/* An error to stderr, and as JSON on stdout with --json; returns status. */
int		 batch_fail(int, int, const char *, const char *, ...)
		     __attribute__((format(printf, 4, 5)));
void		 batch_print_json(const json_t *);

/* console.c */
#define CONSOLE_ESCAPE	'~'
/*
 * Copy stdin to fd and fd to stdout until ~. at the start of a line,
 * EOF on stdin (then half-close and drain) or the agent closes.  A tty
 * on stdin is put in raw mode and restored before returning.  Returns
 * 0, or -1 with *cause when the connection failed.
 */
int		 console_run(int, const char *, char **);
/* Put the terminal back (also called from the fatal hook). */
void		 console_restore(void);

/* format.c */
/* Formatting shared by batch output and the full screen (no curses). */
char		*format_uptime(long long, char *, size_t);
char		*format_memory(int, char *, size_t);
char		*format_vnc(const struct vm_info *, char *, size_t);
const char	*format_iso(const char *);
char		*format_exit(const struct vm_info *, char *, size_t);
char		*format_pid(long, char *, size_t);
/* "started", "already running" ... for a change's reply. */
const char	*format_outcome(enum proto_cmd, int, const char *, int);
/* Object with the list/status fields, nulls where n/a (new ref). */
json_t		*format_vm_json(const struct vm_info *, const json_t *);

#endif
