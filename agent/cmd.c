/*
 * The agent's commands: one handler per protocol command, in a table
 * indexed by enum proto_cmd (the names and argument specs are in
 * common/proto.c).  Handlers never block: lifecycle work happens in the
 * VM's monitor, and a request that waits for a state (start, stop with
 * "wait") is answered when the monitor reports it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

typedef void	cmd_fn(struct client *, struct vm *, json_t *, json_t *);

static cmd_fn	cmd_hello, cmd_list, cmd_status, cmd_start, cmd_stop,
		cmd_poweroff, cmd_reset, cmd_restart, cmd_attach_iso,
		cmd_detach_iso, cmd_list_isos, cmd_reload, cmd_subscribe,
		cmd_show_command, cmd_start_all, cmd_stop_all;

static cmd_fn	*const cmd_table[PROTO_NCMDS] = {
	[CMD_HELLO] = cmd_hello,
	[CMD_LIST] = cmd_list,
	[CMD_STATUS] = cmd_status,
	[CMD_START] = cmd_start,
	[CMD_STOP] = cmd_stop,
	[CMD_POWEROFF] = cmd_poweroff,
	[CMD_RESET] = cmd_reset,
	[CMD_RESTART] = cmd_restart,
	[CMD_ATTACH_ISO] = cmd_attach_iso,
	[CMD_DETACH_ISO] = cmd_detach_iso,
	[CMD_LIST_ISOS] = cmd_list_isos,
	[CMD_RELOAD] = cmd_reload,
	[CMD_SUBSCRIBE] = cmd_subscribe,
	[CMD_CONSOLE] = cmd_console,
	[CMD_CONSOLE_LOG] = cmd_console_log,
	[CMD_SHOW_COMMAND] = cmd_show_command,
	[CMD_START_ALL] = cmd_start_all,
	[CMD_STOP_ALL] = cmd_stop_all,
	[CMD_CREATE] = cmd_create,
	[CMD_DELETE] = cmd_delete,
};

#define VM_LIVE(vm)	proto_state_live((vm)->state)

static int
arg_bool(json_t *req, const char *name, int def)
{
	json_t	*t = json_object_get(req, name);

	return (json_is_boolean(t) ? json_is_true(t) : def);
}

static int
arg_int(json_t *req, const char *name, int def)
{
	json_t	*t = json_object_get(req, name);

	return (json_is_integer(t) ? (int)json_integer_value(t) : def);
}

void
cmd_dispatch(struct client *c, enum proto_cmd cmd, json_t *req, int readonly)
{
	const struct proto_cmd_entry	*ce = &proto_cmds[cmd];
	json_t				*id = json_object_get(req, PF_ID);
	const char			*name;
	struct vm			*vm = NULL;

	if (readonly && (ce->flags & CMD_F_READONLY) == 0) {
		client_reply_error(c, id, ERR_PERMISSION, "%s: not allowed "
		    "for members of the readonly_group (read-only commands: "
		    "list, status, console-log ...)", ce->name);
		return;
	}
	name = json_string_value(json_object_get(req, PF_NAME));
	if (name != NULL && (vm = vm_find(name)) == NULL &&
	    (ce->flags & CMD_F_NEWVM) == 0) {
		client_reply_error(c, id, ERR_NO_SUCH_VM, "no VM named %s "
		    "(anlasser-tui --batch list shows the configured VMs)",
		    name);
		return;
	}
	cmd_table[cmd](c, vm, req, id);
}

/* ------------------------------------------------------------- waiting */

/* stop-all: one reply once every VM it stopped is down. */
struct waitgroup {
	json_t	*results;
	int	 pending;
	int	 answered;
};

static void
waiter_free(struct vm *vm, struct waiter *w)
{
	TAILQ_REMOVE(&vm->waiters, w, entry);
	if (w->group != NULL && --w->group->pending == 0) {
		json_decref(w->group->results);
		free(w->group);
	}
	json_decref(w->id);
	free(w);
}

static struct waiter *
waiter_add(struct client *c, struct vm *vm, json_t *id, enum proto_cmd cmd)
{
	struct waiter	*w;

	w = xcalloc(1, sizeof *w);
	w->client = c;
	w->id = json_incref(id);
	w->cmd = cmd;
	TAILQ_INSERT_TAIL(&vm->waiters, w, entry);
	return (w);
}

static json_t *
cmd_result(struct vm *vm, int changed)
{
	json_t	*o = json_object();

	json_object_set_new(o, PF_NAME, json_string(vm->name));
	json_object_set_new(o, PF_CHANGED, json_boolean(changed));
	json_object_set_new(o, PF_STATE,
	    json_string(proto_state_name(vm->state)));
	json_object_set_new(o, PF_VM, vm_json(vm));
	return (o);
}

/* Is the waiting request done?  Then answer it. */
static int
waiter_done(struct vm *vm, struct waiter *w)
{
	json_t	*r;

	switch (w->cmd) {
	case CMD_START:
	case CMD_RESTART:
		if (vm->state == VM_RUNNING) {
			client_reply_ok(w->client, w->id, cmd_result(vm, 1));
			return (1);
		}
		if (vm->state == VM_FAILED || vm->state == VM_STOPPED) {
			client_reply_error(w->client, w->id, ERR_FAILED, "%s",
			    vm->message != NULL ? vm->message :
			    "the VM stopped while starting");
			return (1);
		}
		return (0);
	case CMD_STOP_ALL:
		if (VM_LIVE(vm))
			return (0);
		r = json_object();
		json_object_set_new(r, PF_NAME, json_string(vm->name));
		json_object_set_new(r, PF_OUTCOME, json_string(
		    proto_stop_name(vm->outcome != VM_NSTOPS ? vm->outcome :
		    VM_STOP_GRACEFUL)));
		json_array_append_new(w->group->results, r);
		if (w->group->pending == 1) {
			r = json_object();
			json_object_set_new(r, PF_CHANGED, json_true());
			json_object_set(r, "results", w->group->results);
			client_reply_ok(w->client, w->id, r);
		}
		return (1);
	case CMD_STOP:
	case CMD_POWEROFF:
		if (VM_LIVE(vm))
			return (0);
		r = cmd_result(vm, 1);
		json_object_set_new(r, PF_OUTCOME, json_string(
		    proto_stop_name(vm->outcome != VM_NSTOPS ? vm->outcome :
		    VM_STOP_GRACEFUL)));
		if (vm->message != NULL)
			json_object_set_new(r, PF_NOTE,
			    json_string(vm->message));
		client_reply_ok(w->client, w->id, r);
		return (1);
	default:
		return (1);
	}
}

void
cmd_waiters_check(struct vm *vm)
{
	struct waiter	*w, *next;

	TAILQ_FOREACH_SAFE(w, &vm->waiters, entry, next) {
		if (waiter_done(vm, w))
			waiter_free(vm, w);
	}
}

void
cmd_client_gone(struct client *c)
{
	struct vm	*vm;
	struct waiter	*w, *next;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		TAILQ_FOREACH_SAFE(w, &vm->waiters, entry, next) {
			if (w->client == c)
				waiter_free(vm, w);
		}
	}
	cmd_console_client_gone(c);
}

/* ------------------------------------------------------------ commands */

static void
cmd_hello(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t	*o;
	int	 v = arg_int(req, PF_VERSION, -1);

	if (v != PROTO_VERSION) {
		client_reply_error(c, id, ERR_VERSION, "this agent speaks "
		    "protocol version %d, the client asked for %d: use "
		    "matching versions of anlasser-agent and its clients",
		    PROTO_VERSION, v);
		return;
	}
	o = json_object();
	json_object_set_new(o, PF_VERSION, json_integer(PROTO_VERSION));
	json_object_set_new(o, "agent", json_string(PACKAGE_STRING));
	json_object_set_new(o, "driver",
	    json_string(agent->conf->agent.driver));
	client_reply_ok(c, id, o);
}

static void
cmd_list(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t	*o, *a;

	a = json_array();
	TAILQ_FOREACH(vm, &agent->vms, entry)
		json_array_append_new(a, vm_json(vm));
	o = json_object();
	json_object_set_new(o, PF_VMS, a);
	client_reply_ok(c, id, o);
}

static void
cmd_status(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, PF_VM, vm_json(vm));
	client_reply_ok(c, id, o);
}

/* Start a VM; 0 when started or already live, -1 with a reply sent. */
static int
vm_start(struct client *c, struct vm *vm, json_t *id, int *changed)
{
	char	*cause = NULL;

	*changed = 0;
	if (vm->state == VM_STOPPING) {
		client_reply_error(c, id, ERR_BUSY, "%s is stopping; wait "
		    "until it has stopped, then start it", vm->name);
		return (-1);
	}
	if (VM_LIVE(vm))
		return (0);
	if (vm->removed) {
		client_reply_error(c, id, ERR_NO_SUCH_VM, "%s was removed "
		    "from the configuration", vm->name);
		return (-1);
	}
	if (link_start(vm, &cause) == -1) {
		client_reply_error(c, id, ERR_FAILED, "%s", cause);
		free(cause);
		return (-1);
	}
	*changed = 1;
	return (0);
}

static void
cmd_start(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	int	changed;

	if (vm_start(c, vm, id, &changed) == -1)
		return;
	if (changed && arg_bool(req, "wait", 0)) {
		waiter_add(c, vm, id, CMD_START);
		return;
	}
	client_reply_ok(c, id, cmd_result(vm, changed));
}

static void
cmd_stop_common(struct client *c, struct vm *vm, json_t *req, json_t *id,
    enum proto_cmd cmd)
{
	json_t	*r;
	int	 timeout;

	if (!VM_LIVE(vm)) {
		r = cmd_result(vm, 0);
		json_object_set_new(r, PF_OUTCOME,
		    json_string(proto_stop_name(VM_STOP_ALREADY)));
		client_reply_ok(c, id, r);
		return;
	}
	if (cmd == CMD_POWEROFF)
		link_send(vm, "poweroff", -1);
	else if (vm->state != VM_STOPPING) {
		timeout = arg_int(req, "timeout", vm->conf->shutdown_timeout);
		link_send(vm, "stop", timeout);
	}
	if (arg_bool(req, "wait", 0)) {
		waiter_add(c, vm, id, CMD_STOP);
		return;
	}
	r = cmd_result(vm, 1);
	json_object_set_new(r, PF_OUTCOME, json_null());
	client_reply_ok(c, id, r);
}

static void
cmd_stop(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	cmd_stop_common(c, vm, req, id, CMD_STOP);
}

static void
cmd_poweroff(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	cmd_stop_common(c, vm, req, id, CMD_POWEROFF);
}

static void
cmd_reset(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	if (vm->state != VM_RUNNING) {
		client_reply_error(c, id, ERR_NOT_RUNNING, "%s is %s; only a "
		    "running VM can be reset", vm->name,
		    proto_state_name(vm->state));
		return;
	}
	link_send(vm, "reset", -1);
	client_reply_ok(c, id, cmd_result(vm, 1));
}

static void
cmd_restart(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	int	changed;

	if (!VM_LIVE(vm)) {
		if (vm_start(c, vm, id, &changed) == -1)
			return;
	} else {
		if (vm->state == VM_STOPPING) {
			client_reply_error(c, id, ERR_BUSY, "%s is stopping; "
			    "start it once it has stopped", vm->name);
			return;
		}
		link_send(vm, "restart", arg_int(req, "timeout",
		    vm->conf->shutdown_timeout));
		vm_set_state(vm, VM_STOPPING);
	}
	if (arg_bool(req, "wait", 0)) {
		waiter_add(c, vm, id, CMD_RESTART);
		return;
	}
	client_reply_ok(c, id, cmd_result(vm, 1));
}

/* ---------------------------------------------------------------- ISOs */

/* Is path (already resolved) inside one of the iso_dirs? */
static int
iso_in_dirs(const char *real)
{
	char	*dirs, *p, *d, rd[PATH_MAX];
	size_t	 len;
	int	 ok = 0;

	if (agent->conf->agent.iso_dirs == NULL)
		return (0);
	dirs = p = xstrdup(agent->conf->agent.iso_dirs);
	while (!ok && (d = strsep(&p, ":")) != NULL) {
		if (*d == '\0' || realpath(d, rd) == NULL)
			continue;
		len = strlen(rd);
		if (strncmp(real, rd, len) == 0 &&
		    (real[len] == '/' || (len == 1 && rd[0] == '/')))
			ok = 1;
	}
	free(dirs);
	return (ok);
}

/*
 * May this client attach this ISO?  Root may attach any regular file;
 * others only a regular file inside iso_dirs (after resolving every
 * link) that they could read themselves.  Fills real (PATH_MAX).
 */
static int
iso_check(struct client *c, const char *path, char *real, char **cause)
{
	struct stat	sb;

	if (realpath(path, real) == NULL) {
		xasprintf(cause, "ISO %s: %s", path, strerror(errno));
		return (-1);
	}
	if (stat(real, &sb) == -1) {
		xasprintf(cause, "ISO %s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "ISO %s is not a regular file (%s): give "
		    "the path of an .iso image", path, S_ISDIR(sb.st_mode) ?
		    "a directory" : "a device or special file");
		return (-1);
	}
	if (client_is_root(c))
		return (0);
	if (!iso_in_dirs(real)) {
		xasprintf(cause, "ISO %s (%s) is not inside the iso_dirs "
		    "of anlasser.conf (%s); copy it there or ask root",
		    path, real, agent->conf->agent.iso_dirs != NULL ?
		    agent->conf->agent.iso_dirs : "none set");
		return (-1);
	}
	if (!(sb.st_uid == client_uid(c) && (sb.st_mode & S_IRUSR)) &&
	    !(sb.st_gid == client_gid(c) && (sb.st_mode & S_IRGRP)) &&
	    !(sb.st_mode & S_IROTH)) {
		xasprintf(cause, "ISO %s is not readable by uid %ld",
		    path, (long)client_uid(c));
		return (-1);
	}
	return (0);
}

static void
cmd_iso_set(struct client *c, struct vm *vm, json_t *id, const char *iso,
    int boot)
{
	json_t	*r;
	char	*cause = NULL, *flag;
	int	 changed;

	changed = (iso == NULL) != (vm->conf->iso_path == NULL) ||
	    (iso != NULL && strcmp(iso, vm->conf->iso_path) != 0);
	if (changed && conf_ini_set(vm->conf->file, "iso_path", iso,
	    &cause) == -1) {
		client_reply_error(c, id, ERR_FAILED, "%s: %s", vm->name,
		    cause);
		free(cause);
		return;
	}
	if (changed) {
		free(vm->conf->iso_path);
		vm->conf->iso_path = iso != NULL ? xstrdup(iso) : NULL;
		log_info("%s: ISO %s%s", vm->name, iso != NULL ? "attached: " :
		    "detached", iso != NULL ? iso : "");
		vm_changed(vm);
	}
	if (boot && vm->conf->uefi_vars != NULL) {
		xasprintf(&flag, "%s/%s.fresh-vars", agent->rundir, vm->name);
		if (write_file_atomic(flag, "", 0, 0600) == -1)
			log_warn("%s: %s", vm->name, flag);
		free(flag);
		changed = 1;
	}
	r = json_object();
	json_object_set_new(r, PF_NAME, json_string(vm->name));
	json_object_set_new(r, PF_CHANGED, json_boolean(changed));
	json_object_set_new(r, PF_STATE,
	    json_string(proto_state_name(vm->state)));
	json_object_set_new(r, PF_ISO, iso != NULL ? json_string(iso) :
	    json_null());
	if (VM_LIVE(vm) && changed)
		json_object_set_new(r, PF_NOTE, json_string("bhyve cannot "
		    "change media at run time: this takes effect at the "
		    "next boot of the VM"));
	else if (boot && vm->conf->uefi_vars == NULL)
		json_object_set_new(r, PF_NOTE, json_string("firmware = bios "
		    "has no boot entries to reset: the BIOS's boot order "
		    "decides whether the ISO boots"));
	else if (boot)
		json_object_set_new(r, PF_NOTE, json_string("the next boot "
		    "uses a fresh copy of the UEFI vars template (the current "
		    "vars file is kept as a backup), so the firmware boots "
		    "the ISO"));
	client_reply_ok(c, id, r);
}

static void
cmd_attach_iso(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	const char	*path = json_string_value(json_object_get(req, "path"));
	char		 real[PATH_MAX], *cause = NULL;

	if (iso_check(c, path, real, &cause) == -1) {
		client_reply_error(c, id, ERR_BAD_ARGUMENT, "%s: %s",
		    vm->name, cause);
		free(cause);
		return;
	}
	cmd_iso_set(c, vm, id, real, arg_bool(req, "boot", 0));
}

static void
cmd_detach_iso(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	cmd_iso_set(c, vm, id, NULL, 0);
}

static void
cmd_list_isos(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t		*o, *dirs, *isos, *e;
	char		*list, *p, *d, *path;
	DIR		*dp;
	struct dirent	*de;
	struct stat	 sb;
	size_t		 len;

	dirs = json_array();
	isos = json_array();
	list = p = xstrdup(agent->conf->agent.iso_dirs != NULL ?
	    agent->conf->agent.iso_dirs : "");
	while ((d = strsep(&p, ":")) != NULL) {
		if (*d == '\0')
			continue;
		json_array_append_new(dirs, proto_json_string(d));
		if ((dp = opendir(d)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			len = strlen(de->d_name);
			if (de->d_name[0] == '.' || len < 5 ||
			    strcasecmp(de->d_name + len - 4, ".iso") != 0)
				continue;
			xasprintf(&path, "%s/%s", d, de->d_name);
			if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
				e = json_object();
				json_object_set_new(e, "path",
				    proto_json_string(path));
				json_object_set_new(e, "size",
				    json_integer(sb.st_size));
				json_array_append_new(isos, e);
			}
			free(path);
		}
		closedir(dp);
	}
	free(list);
	o = json_object();
	json_object_set_new(o, "dirs", dirs);
	json_object_set_new(o, "isos", isos);
	client_reply_ok(c, id, o);
}

/* -------------------------------------------------------------- others */

static void
cmd_reload(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t	*result = NULL, *r;
	char	*msg = NULL;

	if (agent_reload(&result, &msg) == -1) {
		r = proto_reply_error(id, ERR_INVALID_CONFIG, "%s", msg);
		json_object_set(json_object_get(r, PF_ERROR), PF_PROBLEMS,
		    json_object_get(result, PF_PROBLEMS));
		client_send(c, r);
		json_decref(r);
		json_decref(result);
		free(msg);
		return;
	}
	client_reply_ok(c, id, result);
}

static void
cmd_subscribe(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	client_subscribe(c);
	client_reply_ok(c, id, json_object());
}

static void
cmd_show_command(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	struct monitor_argv	 ma;
	char			*out = NULL, *cause = NULL;
	json_t			*a, *o;
	int			 status, r;

	link_monitor_argv(vm, &ma, "-n");
	r = proc_run(ma.argv, 5000, &out, &status, &cause);
	link_monitor_argv_free(&ma);
	if (r == -1) {
		client_reply_error(c, id, ERR_FAILED, "%s", cause);
		free(cause);
		return;
	}
	a = out != NULL ? json_loads(out, JSON_DISABLE_EOF_CHECK, NULL) :
	    NULL;
	if (!json_is_array(a)) {
		client_reply_error(c, id, ERR_FAILED, "%s: %s", vm->name,
		    out != NULL ? out : "no output");
		json_decref(a);
		free(out);
		return;
	}
	free(out);
	o = json_object();
	json_object_set_new(o, PF_NAME, json_string(vm->name));
	json_object_set_new(o, "argv", a);
	client_reply_ok(c, id, o);
}

static void
cmd_start_all(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t	*o, *started, *waiting, *failed;

	started = json_array();
	waiting = json_array();
	failed = json_array();
	autostart_run(started, waiting, failed);
	o = json_object();
	json_object_set_new(o, PF_CHANGED,
	    json_boolean(json_array_size(started) > 0));
	json_object_set_new(o, "started", started);
	json_object_set_new(o, "waiting", waiting);
	json_object_set_new(o, "failed", failed);
	client_reply_ok(c, id, o);
}

static void
cmd_stop_all(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	struct waitgroup	*g;
	struct waiter		*w;
	json_t			*o;

	g = xcalloc(1, sizeof *g);
	g->results = json_array();
	TAILQ_FOREACH_REVERSE(vm, &agent->vms, vms, entry) {
		if (!VM_LIVE(vm))
			continue;
		if (vm->state != VM_STOPPING)
			link_send(vm, "stop", vm->conf->shutdown_timeout);
		w = waiter_add(c, vm, id, CMD_STOP_ALL);
		w->group = g;
		g->pending++;
	}
	if (g->pending == 0) {
		json_decref(g->results);
		free(g);
		o = json_object();
		json_object_set_new(o, PF_CHANGED, json_false());
		json_object_set_new(o, "results", json_array());
		client_reply_ok(c, id, o);
	}
}

/* ------------------------------------------------------------- legacy */

void
cmd_legacy(struct client *c, json_t *req, int readonly)
{
	enum legacy_action	 action;
	const char		*name;
	json_t			*reply = NULL, *list, *e;
	struct vm		*vm;
	char			*cause = NULL;

	if (proto_legacy_parse(req, &action, &name, &reply) == -1) {
		client_send(c, reply);
		json_decref(reply);
		return;
	}
	if (readonly && (action == LEGACY_SET_UP ||
	    action == LEGACY_SET_DOWN)) {
		reply = proto_legacy_failure(LEGACY_E_PERMISSION,
		    "members of the readonly_group may not change VM states");
		client_send(c, reply);
		json_decref(reply);
		return;
	}
	if (action == LEGACY_LIST) {
		reply = proto_legacy_success();
		list = json_array();
		TAILQ_FOREACH(vm, &agent->vms, entry) {
			e = json_object();
			json_object_set_new(e, "vm_name",
			    json_string(vm->name));
			json_object_set_new(e, "vm_controller_pid",
			    VM_LIVE(vm) && vm->monitor_pid > 0 ?
			    json_integer(vm->monitor_pid) : json_null());
			json_array_append_new(list, e);
		}
		json_object_set_new(reply, "vm_list", list);
		client_send(c, reply);
		json_decref(reply);
		return;
	}
	if ((vm = vm_find(name)) == NULL) {
		reply = proto_legacy_failure(LEGACY_E_NOT_FOUND,
		    "no VM with this name is configured");
		client_send(c, reply);
		json_decref(reply);
		return;
	}
	if (action == LEGACY_SET_UP && !VM_LIVE(vm) &&
	    link_start(vm, &cause) == -1) {
		reply = proto_legacy_failure(LEGACY_E_START_FAILED, cause);
		free(cause);
	} else if (action == LEGACY_SET_DOWN && VM_LIVE(vm) &&
	    vm->state != VM_STOPPING)
		link_send(vm, "stop", vm->conf->shutdown_timeout);
	if (reply == NULL) {
		reply = proto_legacy_success();
		json_object_set_new(reply, "vm_state",
		    json_string(VM_LIVE(vm) ? "vm_up" : "vm_down"));
		json_object_set_new(reply, "vm_pid", VM_LIVE(vm) &&
		    vm->pid > 0 ? json_integer(vm->pid) : json_null());
	}
	client_send(c, reply);
	json_decref(reply);
}
