/*
 * Batch mode: anlasser-tui --batch VERB [ARGS] [--json].  One table of
 * verbs (batch_verbs[]) defines what exists, how many arguments each
 * takes, which options, the usage line and the handler.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "conf.h"
#include "log.h"
#include "proto.h"
#include "xmalloc.h"
#include "client.h"
#include "tui.h"
#include "vnc.h"

#define BATCH_MAXARGS	64	/* send-keys: name and the keys */

struct batch {
	const struct batch_verb	*verb;
	int			 json;
	char			*args[BATCH_MAXARGS];
	int			 nargs;
	int			 opts;		/* BATCH_O_* given */
	long			 timeout;	/* --timeout */
	long			 lines;		/* --lines */
	char			*font;		/* --font */
	json_t			*fields;	/* BATCH_O_FIELDS values */
	struct client		*client;
	json_t			*result;	/* of the last call */
};

static int	batch_list(struct batch *);
static int	batch_status(struct batch *);
static int	batch_change(struct batch *);
static int	batch_all(struct batch *);
static int	batch_console(struct batch *);
static int	batch_console_log(struct batch *);
static int	batch_reload(struct batch *);
static int	batch_show_command(struct batch *);
static int	batch_list_isos(struct batch *);
static int	batch_create(struct batch *);
static int	batch_delete(struct batch *);
static int	batch_screen(struct batch *);
static int	batch_send_keys(struct batch *);
static int	batch_usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

const struct batch_opt batch_opts[] = {
	{ BATCH_O_TIMEOUT, "--timeout", "seconds", PF_TIMEOUT,
	  "seconds to wait for the guest before powering off" },
	{ BATCH_O_NOWAIT, "--no-wait", NULL, PF_WAIT,
	  "return once the stop has begun" },
	{ BATCH_O_BOOT, "--boot", NULL, PF_BOOT,
	  "boot from the ISO the next time the VM starts" },
	{ BATCH_O_LINES, "--lines", "n", PF_LINES,
	  "how many lines of the log to print" },
	{ BATCH_O_DISK_SIZE, "--disk-size", "size", PF_DISK_SIZE,
	  "size of the new disk image: 20G, 512M, 1T or bytes" },
	{ BATCH_O_MEMORY, "--memory", "mb", PF_MEMORY_MB,
	  "guest memory in MiB" },
	{ BATCH_O_CPUS, "--cpus", "n", PF_CPUS,
	  "virtual CPUs (as cores of one socket)" },
	{ BATCH_O_SOCKETS, "--sockets", "n", PF_SOCKETS, "CPU sockets" },
	{ BATCH_O_CORES, "--cores", "n", PF_CORES, "cores per socket" },
	{ BATCH_O_THREADS, "--threads", "n", PF_THREADS,
	  "threads per core" },
	{ BATCH_O_DISK_DIR, "--disk-dir", "dir", PF_DISK_DIR,
	  "put the disk in DIR/NAME/" },
	{ BATCH_O_ZFS, "--zfs-dataset", "parent", PF_ZFS_DATASET,
	  "put the disk in a new dataset PARENT/NAME" },
	{ BATCH_O_RECORDSIZE, "--recordsize", "size", PF_RECORDSIZE,
	  "recordsize of the new dataset" },
	{ BATCH_O_ISO, "--iso", "path", PF_ISO, "ISO image to attach" },
	{ BATCH_O_BRIDGE, "--bridge", "bridge", PF_NIC_BRIDGE,
	  "bridge the network card joins (none: no network card)" },
	{ BATCH_O_MAC, "--mac", "mac", PF_MAC,
	  "MAC address (default: a free, stable one)" },
	{ BATCH_O_FIRMWARE, "--firmware", "firmware", PF_FIRMWARE,
	  "boot firmware, as the firmware key of a VM file" },
	{ BATCH_O_FONT, "--font", "path", NULL,
	  "font file (PSF, or FreeBSD vt .fnt) to read the screen with, "
	  "besides the built-in ones" },
};
const size_t batch_nopts = nitems(batch_opts);

const struct batch_verb batch_verbs[] = {
	{ "list", CMD_LIST, 0, 0, "", 0, 30, batch_list,
	  "list the VMs" },
	{ "status", CMD_STATUS, 1, 1, "name", 0, 30, batch_status,
	  "show one VM" },
	{ "start", CMD_START, 1, 1, "name", 0, 300, batch_change,
	  "start a VM and wait until it runs" },
	{ "stop", CMD_STOP, 1, 1, "name", BATCH_O_TIMEOUT | BATCH_O_NOWAIT,
	  3600, batch_change,
	  "shut a VM down (ACPI), power it off after the timeout" },
	{ "poweroff", CMD_POWEROFF, 1, 1, "name", 0, 120, batch_change,
	  "power a VM off at once" },
	{ "reset", CMD_RESET, 1, 1, "name", 0, 120, batch_change,
	  "hard-reset a VM" },
	{ "restart", CMD_RESTART, 1, 1, "name", 0, 3600, batch_change,
	  "shut a VM down and start it again" },
	{ "attach-iso", CMD_ATTACH_ISO, 2, 2, "name path", BATCH_O_BOOT, 30,
	  batch_change, "attach an ISO image as a CD-ROM" },
	{ "detach-iso", CMD_DETACH_ISO, 1, 1, "name", 0, 30, batch_change,
	  "detach the ISO image" },
	{ "console", CMD_CONSOLE, 1, 1, "name", 0, 30, batch_console,
	  "connect to the serial console" },
	{ "console-log", CMD_CONSOLE_LOG, 1, 1, "name", BATCH_O_LINES, 30,
	  batch_console_log, "print the end of the console log" },
	{ "reload", CMD_RELOAD, 0, 0, "", 0, 60, batch_reload,
	  "re-read the configuration" },
	{ "start-all", CMD_START_ALL, 0, 0, "", 0, 3600, batch_all,
	  "start every VM marked autostart" },
	{ "stop-all", CMD_STOP_ALL, 0, 0, "", 0, 3600, batch_all,
	  "stop every running VM" },
	{ "show-command", CMD_SHOW_COMMAND, 1, 1, "name", 0, 30,
	  batch_show_command, "print the hypervisor command line" },
	{ "list-isos", CMD_LIST_ISOS, 0, 0, "", 0, 30, batch_list_isos,
	  "list the ISO images the agent offers" },
	{ "create", CMD_CREATE, 1, 1, "name", BATCH_O_FIELDS, 120,
	  batch_create, "create a VM: disk image, UEFI vars and NAME.ini" },
	{ "delete", CMD_DELETE, 1, 1, "name", 0, 60, batch_delete,
	  "remove a stopped VM's NAME.ini (its disks are kept)" },
	/* Over VNC: these ask the agent for the status (the address). */
	{ "screen", CMD_STATUS, 1, 1, "name", BATCH_O_FONT, 30, batch_screen,
	  "print the text on the VM's screen (VNC)" },
	{ "send-keys", CMD_STATUS, 2, BATCH_MAXARGS - 1, "name key ...", 0,
	  30, batch_send_keys, "type text and keys on the VM's screen (VNC)" },
};
const size_t batch_nverbs = nitems(batch_verbs);

/* Options a verb cannot do without (shown without brackets). */
static const struct {
	enum proto_cmd	 cmd;
	int		 opts;
} batch_required[] = {
	{ CMD_CREATE, BATCH_O_DISK_SIZE },
};

static int
batch_required_opts(const struct batch_verb *v)
{
	size_t	i;

	for (i = 0; i < nitems(batch_required); i++) {
		if (batch_required[i].cmd == v->cmd)
			return (batch_required[i].opts);
	}
	return (0);
}

const struct batch_verb *
batch_find(const char *name)
{
	size_t	i;

	for (i = 0; i < batch_nverbs; i++) {
		if (strcmp(batch_verbs[i].verb, name) == 0)
			return (&batch_verbs[i]);
	}
	return (NULL);
}

const struct batch_opt *
batch_find_opt(const char *name)
{
	size_t	i;

	for (i = 0; i < batch_nopts; i++) {
		if (strcmp(batch_opts[i].name, name) == 0)
			return (&batch_opts[i]);
	}
	return (NULL);
}

char *
batch_usage(const struct batch_verb *v)
{
	char	*s, *t;
	size_t	 i;

	xasprintf(&s, "%s%s%s", v->verb, *v->args != '\0' ? " " : "",
	    v->args);
	for (i = 0; i < batch_nopts; i++) {
		if ((v->options & batch_opts[i].flag) == 0)
			continue;
		xasprintf(&t, "%s %s%s%s%s%s", s,
		    (batch_required_opts(v) & batch_opts[i].flag) ? "" : "[",
		    batch_opts[i].name, batch_opts[i].arg != NULL ? " " : "",
		    batch_opts[i].arg != NULL ? batch_opts[i].arg : "",
		    (batch_required_opts(v) & batch_opts[i].flag) ? "" :
		    "]");
		free(s);
		s = t;
	}
	return (s);
}

/* The usage lines: the full screen, each verb, --help/--version. */
void
batch_usage_all(FILE *fp)
{
	char	*u;
	size_t	 i;

	fprintf(fp, "usage: %s [--socket path]\n", TUI_NAME);
	for (i = 0; i < batch_nverbs; i++) {
		u = batch_usage(&batch_verbs[i]);
		fprintf(fp, "       %s [--socket path] --batch %s [--json]\n",
		    TUI_NAME, u);
		free(u);
	}
	fprintf(fp, "       %s --help | --version\n", TUI_NAME);
}

/* ---------------------------------------------------------------- output */

void
batch_print_json(const json_t *j)
{
	char	*s;

	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
	fflush(stdout);
}

/* An error: to stderr for people, as JSON on stdout with --json. */
static int
batch_verror(int json, int status, const char *code, const char *fmt,
    va_list ap)
{
	char	*msg;
	json_t	*j;

	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	fprintf(stderr, "%s: %s\n", TUI_NAME, msg != NULL ? msg : code);
	if (json) {
		j = json_pack("{s:{s:s,s:s}}", PF_ERROR, PF_CODE, code,
		    PF_MESSAGE, msg != NULL ? msg : code);
		batch_print_json(j);
		json_decref(j);
	}
	free(msg);
	return (status);
}

int
batch_fail(int json, int status, const char *code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	status = batch_verror(json, status, code, fmt, ap);
	va_end(ap);
	return (status);
}

static int
batch_error(struct batch *b, int status, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
batch_error(struct batch *b, int status, const char *code, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	status = batch_verror(b->json, status, code, fmt, ap);
	va_end(ap);
	return (status);
}

/* ---------------------------------------------------------------- calls */

/* The request for this verb, with its arguments and options. */
static json_t *
batch_request(struct batch *b)
{
	const struct proto_cmd_entry	*ce = &proto_cmds[b->verb->cmd];
	json_t				*req;
	int				 i, pos = 0;

	req = client_request(ce->name);
	for (i = 0; i < PROTO_MAX_ARGS && ce->args[i].name != NULL; i++) {
		const struct proto_arg	*a = &ce->args[i];

		if (a->type == ARG_VMNAME || a->type == ARG_PATH ||
		    a->type == ARG_STRING) {
			if (pos < b->nargs)
				json_object_set_new(req, a->name,
				    json_string(b->args[pos++]));
			continue;
		}
		if (strcmp(a->name, PF_WAIT) == 0)
			json_object_set_new(req, a->name, json_boolean(
			    (b->opts & BATCH_O_NOWAIT) == 0));
		else if (strcmp(a->name, PF_BOOT) == 0 &&
		    (b->opts & BATCH_O_BOOT))
			json_object_set_new(req, a->name, json_true());
		else if (strcmp(a->name, PF_TIMEOUT) == 0 &&
		    (b->opts & BATCH_O_TIMEOUT))
			json_object_set_new(req, a->name,
			    json_integer(b->timeout));
		else if (strcmp(a->name, PF_LINES) == 0 &&
		    (b->opts & BATCH_O_LINES))
			json_object_set_new(req, a->name,
			    json_integer(b->lines));
	}
	if (b->fields != NULL)
		json_object_update(req, b->fields);
	return (req);
}

/* How long to wait for this verb's reply (seconds). */
static int
batch_timeout(struct batch *b)
{
	if (b->opts & BATCH_O_NOWAIT)
		return (CLIENT_CALL_TIMEOUT / 1000);
	if (b->opts & BATCH_O_TIMEOUT)
		return ((int)b->timeout + 60);
	return (b->verb->timeout);
}

/*
 * Send the verb's request; on success b->result holds the result (an
 * empty object when there was none).  Returns an exit status.
 */
static int
batch_call(struct batch *b, json_t *req)
{
	json_t		*reply, *result;
	const char	*code, *message;
	char		*cause;

	reply = client_call(b->client, req, batch_timeout(b) * 1000, &cause);
	if (reply == NULL) {
		batch_error(b, EXIT_UNREACHABLE, "unreachable", "%s", cause);
		free(cause);
		return (EXIT_UNREACHABLE);
	}
	if (!client_reply_ok(reply, &result, &code, &message)) {
		batch_error(b, EXIT_FAILED, code, "%s", message);
		json_decref(reply);
		return (EXIT_FAILED);
	}
	b->result = result != NULL ? json_incref(result) : json_object();
	json_decref(reply);
	return (EXIT_OK);
}

/* ---------------------------------------------------------------- verbs */

/* The VM objects of a result: {"vms": [...]} or a bare array. */
static json_t *
batch_vm_array(json_t *result)
{
	json_t	*a;

	if (json_is_array(result))
		return (result);
	if ((a = json_object_get(result, PF_VMS)) != NULL && json_is_array(a))
		return (a);
	return (NULL);
}

/* The VM object of a result: {"vm": {...}} or the result itself. */
static json_t *
batch_vm_object(json_t *result)
{
	json_t	*o;

	if ((o = json_object_get(result, PF_VM)) != NULL && json_is_object(o))
		return (o);
	return (result);
}

static void
batch_table_row(const char *cols[], const int widths[], int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (i == n - 1)
			printf("%s\n", cols[i]);
		else
			printf("%-*s  ", widths[i], cols[i]);
	}
}

#define LIST_NCOLS	9

static void
batch_list_table(struct vm_info *vms, size_t n)
{
	static const char	*titles[LIST_NCOLS] = { "NAME", "STATE",
	    "PID", "CPUS", "MEMORY", "VNC", "UPTIME", "ISO", "LAST-EXIT" };
	char			 cells[LIST_NCOLS][128];
	const char		*cols[LIST_NCOLS];
	int			 widths[LIST_NCOLS];
	size_t			 i, pass;
	int			 k, len;

	for (k = 0; k < LIST_NCOLS; k++)
		widths[k] = strlen(titles[k]);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			batch_table_row(titles, widths, LIST_NCOLS);
		for (i = 0; i < n; i++) {
			struct vm_info	*vm = &vms[i];

			snprintf(cells[0], sizeof cells[0], "%s", vm->name);
			snprintf(cells[1], sizeof cells[1], "%s",
			    proto_state_name(vm->state));
			format_pid(vm->pid, cells[2], sizeof cells[2]);
			snprintf(cells[3], sizeof cells[3], "%d", vm->vcpus);
			format_memory(vm->memory_mb, cells[4],
			    sizeof cells[4]);
			format_vnc(vm, cells[5], sizeof cells[5]);
			format_uptime(vm->uptime_s, cells[6], sizeof cells[6]);
			snprintf(cells[7], sizeof cells[7], "%s",
			    format_iso(vm->iso));
			format_exit(vm, cells[8], sizeof cells[8]);
			for (k = 0; k < LIST_NCOLS; k++) {
				cols[k] = cells[k];
				len = strlen(cells[k]);
				if (len > widths[k])
					widths[k] = len;
			}
			if (pass == 1)
				batch_table_row(cols, widths, LIST_NCOLS);
		}
	}
}

static int
batch_list(struct batch *b)
{
	json_t		*vms, *v, *out;
	struct vm_info	*infos;
	char		*cause;
	size_t		 i, n;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	if ((vms = batch_vm_array(b->result)) == NULL)
		return (batch_error(b, EXIT_FAILED, "internal",
		    "the agent's list reply holds no VMs array"));
	n = json_array_size(vms);
	infos = xcalloc(n + 1, sizeof *infos);
	out = json_array();
	json_array_foreach(vms, i, v) {
		if (proto_vm_from_json(v, &infos[i], &cause) == -1) {
			status = batch_error(b, EXIT_FAILED, "internal",
			    "bad VM in the agent's reply: %s", cause);
			free(cause);
			goto out;
		}
		json_array_append_new(out, format_vm_json(&infos[i], v));
	}
	if (b->json)
		batch_print_json(out);
	else
		batch_list_table(infos, n);
out:
	for (i = 0; i < n; i++)
		proto_vm_info_clear(&infos[i]);
	free(infos);
	json_decref(out);
	return (status);
}

static int
batch_status(struct batch *b)
{
	struct vm_info	 vm;
	json_t		*o;
	char		*cause, buf[128];
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	memset(&vm, 0, sizeof vm);
	o = batch_vm_object(b->result);
	if (proto_vm_from_json(o, &vm, &cause) == -1) {
		status = batch_error(b, EXIT_FAILED, "internal",
		    "bad VM in the agent's reply: %s", cause);
		free(cause);
		return (status);
	}
	if (b->json) {
		o = format_vm_json(&vm, o);
		batch_print_json(o);
		json_decref(o);
	} else {
		printf("name:      %s\n", vm.name);
		printf("state:     %s\n", proto_state_name(vm.state));
		printf("pid:       %s\n", format_pid(vm.pid, buf, sizeof buf));
		printf("vcpus:     %d\n", vm.vcpus);
		printf("memory:    %s\n", format_memory(vm.memory_mb, buf,
		    sizeof buf));
		printf("vnc:       %s\n", format_vnc(&vm, buf, sizeof buf));
		printf("uptime:    %s\n", format_uptime(vm.uptime_s, buf,
		    sizeof buf));
		printf("iso:       %s\n", vm.iso != NULL ? vm.iso : "-");
		printf("last exit: %s\n", format_exit(&vm, buf, sizeof buf));
		if (vm.waiting_for != NULL)
			printf("waiting for: %s\n", vm.waiting_for);
	}
	proto_vm_info_clear(&vm);
	return (EXIT_OK);
}

/* What a person reads after a change: "web1: started (running)". */
static void
batch_change_line(struct batch *b, const char *name, int changed,
    const char *state, const char *outcome)
{
	printf("%s: %s%s%s%s\n", name, format_outcome(b->verb->cmd, changed,
	    outcome, (b->opts & BATCH_O_NOWAIT) != 0), state != NULL ? " (" :
	    "", state != NULL ? state : "", state != NULL ? ")" : "");
}

static int
batch_change(struct batch *b)
{
	json_t		*vm, *out, *j;
	const char	*name, *state, *outcome;
	int		 status, changed;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	vm = json_object_get(b->result, PF_VM);
	name = json_string_value(json_object_get(b->result, PF_NAME));
	if (name == NULL)
		name = json_string_value(json_object_get(vm, PF_NAME));
	if (name == NULL)
		name = b->args[0];
	state = json_string_value(json_object_get(b->result, PF_STATE));
	if (state == NULL)
		state = json_string_value(json_object_get(vm, PF_STATE));
	changed = json_is_true(json_object_get(b->result, PF_CHANGED));
	outcome = json_string_value(json_object_get(b->result, PF_OUTCOME));

	if (b->json) {
		out = json_pack("{s:s,s:b}", PF_NAME, name, PF_CHANGED,
		    changed);
		json_object_set_new(out, PF_STATE, state != NULL ?
		    json_string(state) : json_null());
		if (b->verb->cmd == CMD_STOP)
			json_object_set_new(out, PF_OUTCOME, outcome != NULL ?
			    json_string(outcome) : json_null());
		/* Whatever else the agent said (vm, note, ...). */
		json_object_update_missing(out, b->result);
		batch_print_json(out);
		json_decref(out);
	} else {
		batch_change_line(b, name, changed, state, outcome);
		j = json_object_get(b->result, PF_NOTE);
		if (json_is_string(j))
			fprintf(stderr, "%s: %s\n", name, json_string_value(j));
	}
	if (state != NULL &&
	    strcmp(state, proto_state_name(VM_FAILED)) == 0) {
		if (!b->json)
			fprintf(stderr, "%s: %s: the VM failed\n", TUI_NAME,
			    name);
		return (EXIT_FAILED);
	}
	return (EXIT_OK);
}

/* Print "label: a b c" for a result array of names (or objects). */
static void
batch_print_names(const char *label, const json_t *a)
{
	const json_t	*v;
	const char	*s, *w;
	size_t		 i;

	if (json_array_size(a) == 0)
		return;
	printf("%s:", label);
	json_array_foreach(a, i, v) {
		s = json_is_string(v) ? json_string_value(v) :
		    json_string_value(json_object_get(v, PF_NAME));
		w = json_string_value(json_object_get(v, PF_WAITING_FOR));
		if (s != NULL)
			printf(" %s%s%s%s", s, w != NULL ? " (waiting for " :
			    "", w != NULL ? w : "", w != NULL ? ")" : "");
	}
	printf("\n");
}

/*
 * start-all, stop-all: what was started/stopped, what waits for its
 * storage, what failed (exit 1 when anything failed).
 */
static int
batch_all(struct batch *b)
{
	json_t		*failed, *v;
	const char	*name, *state;
	size_t		 i;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	failed = json_object_get(b->result, PF_FAILED);
	if (b->json)
		batch_print_json(b->result);
	else {
		if (!json_is_true(json_object_get(b->result, PF_CHANGED)))
			printf("nothing to do\n");
		/* One result per VM, as for a stop of each. */
		json_array_foreach(json_object_get(b->result, PF_RESULTS), i,
		    v) {
			name = json_string_value(json_object_get(v, PF_NAME));
			state = json_string_value(json_object_get(v,
			    PF_STATE));
			if (name == NULL)
				continue;
			printf("%s: %s%s%s%s\n", name, format_outcome(
			    b->verb->cmd == CMD_STOP_ALL ? CMD_STOP : CMD_START,
			    json_object_get(v, PF_CHANGED) == NULL ||
			    json_is_true(json_object_get(v, PF_CHANGED)),
			    json_string_value(json_object_get(v, PF_OUTCOME)),
			    0), state != NULL ? " (" : "", state != NULL ?
			    state : "", state != NULL ? ")" : "");
		}
		batch_print_names("started", json_object_get(b->result,
		    PF_STARTED));
		batch_print_names("stopping", json_object_get(b->result,
		    "stopping"));
		batch_print_names("waiting", json_object_get(b->result,
		    PF_WAITING));
		json_array_foreach(failed, i, v) {
			if (json_is_string(v))
				fprintf(stderr, "%s: %s\n", TUI_NAME,
				    json_string_value(v));
		}
	}
	return (json_array_size(failed) > 0 ? EXIT_FAILED : EXIT_OK);
}

static int
batch_console(struct batch *b)
{
	json_t		*reply, *result;
	const char	*code, *message;
	char		*cause;
	int		 fd;

	reply = client_call_raw(b->client, batch_request(b),
	    b->verb->timeout * 1000, &cause);
	if (reply == NULL) {
		batch_error(b, EXIT_UNREACHABLE, "unreachable", "%s", cause);
		free(cause);
		return (EXIT_UNREACHABLE);
	}
	if (!client_reply_ok(reply, &result, &code, &message)) {
		batch_error(b, EXIT_FAILED, code, "%s", message);
		json_decref(reply);
		return (EXIT_FAILED);
	}
	json_decref(reply);
	fd = client_detach(b->client);
	b->client = NULL;
	log_set_fatal_hook(console_restore);
	if (console_run(fd, b->args[0], &cause) == -1) {
		close(fd);
		fprintf(stderr, "%s: %s\n", TUI_NAME, cause);
		free(cause);
		return (EXIT_UNREACHABLE);
	}
	close(fd);
	return (EXIT_OK);
}

static int
batch_console_log(struct batch *b)
{
	json_t		*lines, *l;
	const char	*s;
	size_t		 i;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	if (b->json) {
		batch_print_json(b->result);
		return (EXIT_OK);
	}
	lines = json_object_get(b->result, PF_LINES);
	json_array_foreach(lines, i, l) {
		if ((s = json_string_value(l)) != NULL)
			printf("%s\n", s);
	}
	return (EXIT_OK);
}

static int
batch_reload(struct batch *b)
{
	json_t		*a, *v;
	const char	*key;
	size_t		 i;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	if (b->json) {
		batch_print_json(b->result);
		return (EXIT_OK);
	}
	printf("configuration reloaded\n");
	json_object_foreach(b->result, key, a) {
		if (!json_is_array(a) || json_array_size(a) == 0)
			continue;
		printf("%s:", key);
		json_array_foreach(a, i, v) {
			if (json_is_string(v))
				printf(" %s", json_string_value(v));
		}
		printf("\n");
	}
	return (EXIT_OK);
}

static int
batch_show_command(struct batch *b)
{
	json_t		*argv, *v;
	const char	*s;
	size_t		 i;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	if (b->json) {
		batch_print_json(b->result);
		return (EXIT_OK);
	}
	argv = json_object_get(b->result, PF_ARGV);
	json_array_foreach(argv, i, v) {
		if ((s = json_string_value(v)) != NULL)
			printf("%s%s", i > 0 ? " " : "", s);
	}
	printf("\n");
	return (EXIT_OK);
}

static int
batch_list_isos(struct batch *b)
{
	json_t		*isos, *v;
	const char	*s;
	size_t		 i;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	if (b->json) {
		batch_print_json(b->result);
		return (EXIT_OK);
	}
	isos = json_is_array(b->result) ? b->result :
	    json_object_get(b->result, PF_ISOS);
	json_array_foreach(isos, i, v) {
		s = json_is_string(v) ? json_string_value(v) :
		    json_string_value(json_object_get(v, PF_PATH));
		if (s != NULL)
			printf("%s\n", s);
	}
	return (EXIT_OK);
}

/* Print "label: a" per string of a result array. */
static void
batch_print_paths(const char *label, const json_t *a)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(a, i, v) {
		if (json_is_string(v))
			printf("%s: %s\n", label, json_string_value(v));
	}
}

/* create: what it made, or that the same VM exists already. */
static int
batch_create(struct batch *b)
{
	const char	*s;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	if (b->json) {
		batch_print_json(b->result);
		return (EXIT_OK);
	}
	if (json_is_true(json_object_get(b->result, PF_CHANGED))) {
		printf("%s: created\n", b->args[0]);
		batch_print_paths("created", json_object_get(b->result,
		    PF_CREATED));
	} else
		printf("%s: exists with these parameters, nothing to do\n",
		    b->args[0]);
	if ((s = json_string_value(json_object_get(b->result,
	    PF_MAC))) != NULL)
		printf("mac: %s\n", s);
	return (EXIT_OK);
}

/* delete: the INI file goes, the disks stay. */
static int
batch_delete(struct batch *b)
{
	json_t	*j;
	int	 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	if (b->json) {
		batch_print_json(b->result);
		return (EXIT_OK);
	}
	printf("%s: deleted\n", b->args[0]);
	batch_print_paths("removed", json_object_get(b->result, PF_REMOVED));
	batch_print_paths("kept", json_object_get(b->result, PF_KEPT));
	j = json_object_get(b->result, PF_NOTE);
	if (json_is_string(j))
		fprintf(stderr, "%s: %s\n", b->args[0], json_string_value(j));
	return (EXIT_OK);
}

/* The VM's VNC address and password from its status. */
static int
batch_vnc_address(struct batch *b, char **host, int *port, char **pw)
{
	struct vm_info	 vm;
	char		*cause;
	int		 status;

	if ((status = batch_call(b, batch_request(b))) != EXIT_OK)
		return (status);
	memset(&vm, 0, sizeof vm);
	if (proto_vm_from_json(batch_vm_object(b->result), &vm, &cause) ==
	    -1) {
		status = batch_error(b, EXIT_FAILED, "internal",
		    "bad VM in the agent's reply: %s", cause);
		free(cause);
		return (status);
	}
	/* A stopped VM keeps its port, but nothing listens on it. */
	*host = vm.vnc_host != NULL && proto_state_live(vm.state) ?
	    xstrdup(vm.vnc_host) : NULL;
	*port = vm.vnc_port;
	/* The agent's status names the VM's file as "config_file". */
	*pw = batch_vnc_password(json_string_value(json_object_get(
	    batch_vm_object(b->result), "config_file")));
	proto_vm_info_clear(&vm);
	return (EXIT_OK);
}

static int
batch_screen(struct batch *b)
{
	char	*host, *pw;
	int	 port, status;

	if ((status = batch_vnc_address(b, &host, &port, &pw)) != EXIT_OK)
		return (status);
	status = batch_vnc_screen(b->args[0], host, port, pw, b->font,
	    b->json);
	free(host);
	free(pw);
	return (status);
}

static int
batch_send_keys(struct batch *b)
{
	char	*host, *pw;
	int	 port, status;

	if ((status = batch_vnc_address(b, &host, &port, &pw)) != EXIT_OK)
		return (status);
	status = batch_vnc_send_keys(b->args[0], host, port, pw, b->json,
	    b->nargs - 1, b->args + 1);
	free(host);
	free(pw);
	return (status);
}

/* ---------------------------------------------------------------- main */

static int
batch_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
batch_usage_error(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", TUI_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	batch_usage_all(stderr);
	return (EXIT_USAGE);
}

static int
batch_number(const char *opt, const char *s, long *v)
{
	char	*end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *v < 0 ||
	    *v > INT_MAX) {
		batch_usage_error("%s: not a number: %s", opt, s);
		return (-1);
	}
	return (0);
}

/* A relative ISO path names a file here: make it absolute. */
static char *
batch_abs_path(const char *path)
{
	char	buf[PATH_MAX];

	if (*path == '/' || realpath(path, buf) == NULL)
		return (xstrdup(path));
	return (xstrdup(buf));
}

/* An option whose value goes to its request field, typed by the spec. */
static int
batch_field(struct batch *b, const struct batch_opt *o, const char *name,
    const char *value)
{
	const struct proto_arg	*a;
	const struct conf_key	*k;
	json_t			*v;
	char			*path, *why;
	long			 n;

	/* One of a VM file key's values: checked here with its table. */
	if ((k = conf_vm_key(o->field)) != NULL && k->type == CONF_ENUM &&
	    (why = conf_key_check(k, value)) != NULL) {
		batch_usage_error("%s: %s", name, why);
		free(why);
		return (-1);
	}
	a = proto_cmd_arg(&proto_cmds[b->verb->cmd], o->field);
	if (a != NULL && a->type == ARG_INT) {
		if (batch_number(name, value, &n) == -1)
			return (-1);
		v = json_integer(n);
	} else if (a != NULL && a->type == ARG_PATH) {
		path = batch_abs_path(value);
		v = json_string(path);
		free(path);
	} else
		v = json_string(value);
	if (v == NULL) {
		batch_usage_error("%s: not valid UTF-8", name);
		return (-1);
	}
	if (b->fields == NULL)
		b->fields = json_object();
	json_object_set_new(b->fields, o->field, v);
	return (0);
}

static int
batch_parse(struct batch *b, int argc, char **argv)
{
	const struct batch_opt	*o;
	char			*name, *value;
	int			 i, dashdash = 0;

	for (i = 0; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] != '-') {
			if (b->nargs >= b->verb->maxargs)
				return (batch_usage_error("%s: too many "
				    "arguments", b->verb->verb));
			b->args[b->nargs++] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			continue;
		}
		name = xstrdup(argv[i]);
		if ((value = strchr(name, '=')) != NULL)
			*value++ = '\0';
		o = batch_find_opt(name);
		if (o == NULL || (b->verb->options & o->flag) == 0) {
			batch_usage_error("%s: unknown option %s",
			    b->verb->verb, name);
			free(name);
			return (EXIT_USAGE);
		}
		if (o->arg != NULL && value == NULL) {
			if (i + 1 >= argc) {
				batch_usage_error("%s needs an argument",
				    name);
				free(name);
				return (EXIT_USAGE);
			}
			value = argv[++i];
		} else if (o->arg == NULL && value != NULL) {
			batch_usage_error("%s takes no argument", name);
			free(name);
			return (EXIT_USAGE);
		}
		b->opts |= o->flag;
		if (o->flag == BATCH_O_FONT) {
			free(b->font);
			b->font = xstrdup(value);
		}
		if ((o->flag == BATCH_O_TIMEOUT &&
		    batch_number(name, value, &b->timeout) == -1) ||
		    (o->flag == BATCH_O_LINES &&
		    batch_number(name, value, &b->lines) == -1) ||
		    ((o->flag & BATCH_O_FIELDS) &&
		    batch_field(b, o, name, value) == -1)) {
			free(name);
			return (EXIT_USAGE);
		}
		free(name);
	}
	if (b->nargs < b->verb->minargs)
		return (batch_usage_error("%s: missing %s", b->verb->verb,
		    b->verb->args));
	for (i = 0; i < (int)batch_nopts; i++) {
		if ((batch_required_opts(b->verb) & batch_opts[i].flag) &&
		    (b->opts & batch_opts[i].flag) == 0)
			return (batch_usage_error("%s: %s is required",
			    b->verb->verb, batch_opts[i].name));
	}
	return (EXIT_OK);
}

/*
 * Run a verb.  argv[0] is the verb, the rest its arguments and options
 * (the global ones already taken out by main).
 */
int
batch_main(const char *socket, int json, int argc, char **argv)
{
	struct batch	 b;
	char		*cause, *code, *path = NULL;
	int		 status;

	memset(&b, 0, sizeof b);
	b.json = json;
	if (argc < 1)
		return (batch_usage_error("--batch needs a verb"));
	if ((b.verb = batch_find(argv[0])) == NULL)
		return (batch_usage_error("unknown verb: %s", argv[0]));
	if ((status = batch_parse(&b, argc - 1, argv + 1)) != EXIT_OK) {
		free(b.font);
		json_decref(b.fields);
		return (status);
	}
	if (b.verb->cmd == CMD_ATTACH_ISO) {
		path = batch_abs_path(b.args[1]);
		b.args[1] = path;
	}

	b.client = client_open(client_socket_path(socket),
	    CLIENT_CONNECT_TIMEOUT, &cause, &code);
	if (b.client == NULL) {
		status = batch_error(&b, code != NULL ? EXIT_FAILED :
		    EXIT_UNREACHABLE, code != NULL ? code : "unreachable",
		    "%s", cause);
		free(cause);
		free(code);
		free(path);
		free(b.font);
		json_decref(b.fields);
		return (status);
	}
	status = b.verb->handler(&b);
	free(b.font);
	json_decref(b.result);
	json_decref(b.fields);
	client_free(b.client);
	free(path);
	return (status);
}
