/*
 * The agent's side of the monitors: spawn one per VM start, reconnect to
 * the running ones after an agent restart (RUNDIR/NAME.sock), and turn
 * their status messages into VM state.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "jline.h"
#include "log.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

static void
link_apply_status(struct vm *vm, const json_t *o)
{
	const char	*s;
	json_t		*t;
	int		 state;

	t = json_object_get(o, PF_PID);
	vm->pid = json_is_integer(t) ? (long)json_integer_value(t) : -1;
	t = json_object_get(o, "monitor_pid");
	if (json_is_integer(t))
		vm->monitor_pid = (long)json_integer_value(t);
	t = json_object_get(o, "started");
	vm->started = json_is_integer(t) ? (time_t)json_integer_value(t) : 0;
	s = json_string_value(json_object_get(o, PF_LAST_EXIT));
	vm->last_exit = s != NULL && proto_exit_from_name(s) != -1 ?
	    (enum vm_exit)proto_exit_from_name(s) : VM_EXIT_NONE;
	t = json_object_get(o, PF_LAST_EXIT_TIME);
	vm->last_exit_time = json_is_integer(t) ? json_integer_value(t) : 0;
	t = json_object_get(o, PF_VNC_PORT);
	if (json_is_integer(t))
		vm->vnc_port = (int)json_integer_value(t);
	s = json_string_value(json_object_get(o, PF_OUTCOME));
	if (s != NULL) {
		if (strcmp(s, proto_stop_name(VM_STOP_GRACEFUL)) == 0)
			vm->outcome = VM_STOP_GRACEFUL;
		else if (strcmp(s, proto_stop_name(VM_STOP_FORCED)) == 0)
			vm->outcome = VM_STOP_FORCED;
	}
	s = json_string_value(json_object_get(o, PF_MESSAGE));
	free(vm->message);
	vm->message = s != NULL ? xstrdup(s) : NULL;
	s = json_string_value(json_object_get(o, PF_STATE));
	if (s != NULL && (state = proto_state_from_name(s)) != -1) {
		if ((enum vm_state)state == vm->state)
			vm_changed(vm);
		else
			vm_set_state(vm, state);
	}
}

static void
link_line_cb(struct jline *jl, const char *line, size_t len, void *arg)
{
	struct vm	*vm = arg;
	json_t		*o;
	json_error_t	 err;
	const char	*ev;

	if ((o = json_loadb(line, len, 0, &err)) == NULL) {
		log_warnx("%s: bad message from monitor: %s", vm->name,
		    err.text);
		return;
	}
	ev = json_string_value(json_object_get(o, PF_EVENT));
	if (ev != NULL && strcmp(ev, "status") == 0)
		link_apply_status(vm, o);
	else if (json_is_false(json_object_get(o, PF_OK)))
		log_warnx("%s: monitor: %s", vm->name,
		    json_string_value(json_object_get(o, PF_MESSAGE)));
	json_decref(o);
}

/*
 * The monitor is gone: its last words are in RUNDIR/NAME.state.  A state
 * that is not final but live means the monitor died (also for a new
 * agent, which finds only the file).
 */
void
link_read_state(struct vm *vm)
{
	char		*path, *data;
	const char	*s;
	json_t		*o, *t;
	int		 final = 0, lost = 0, st;

	xasprintf(&path, "%s/%s.state", agent->rundir, vm->name);
	data = read_file(path, 1 << 20, NULL);
	free(path);
	o = data != NULL ? json_loads(data, 0, NULL) : NULL;
	free(data);
	if (o != NULL) {
		final = json_is_true(json_object_get(o, "final"));
		s = json_string_value(json_object_get(o, PF_STATE));
		st = s != NULL ? proto_state_from_name(s) : -1;
		if (final)
			link_apply_status(vm, o);
		else if (st != -1 && proto_state_live(st) &&
		    !proto_state_live(vm->state)) {
			t = json_object_get(o, PF_PID);
			vm->pid = json_is_integer(t) ?
			    (long)json_integer_value(t) : -1;
			lost = 1;
		}
		json_decref(o);
	}
	if (!final && (lost || proto_state_live(vm->state))) {
		free(vm->message);
		if (vm->pid > 0 && platform_pid_alive(vm->pid))
			xasprintf(&vm->message, "%s: its monitor died; the "
			    "hypervisor (pid %ld) is still running unsupervised",
			    vm->name, vm->pid);
		else
			xasprintf(&vm->message, "%s: its monitor died",
			    vm->name);
		log_warnx("%s", vm->message);
		vm->last_exit = VM_EXIT_MONITOR_LOST;
		vm->last_exit_time = time(NULL);
		vm_set_state(vm, VM_FAILED);
	}
}

static void
link_close_cb(struct jline *jl, const char *why, void *arg)
{
	struct vm	*vm = arg;

	log_debug("%s: monitor link %s", vm->name, why);
	jline_free(jl);
	vm->link = NULL;
	link_read_state(vm);
	if (vm->removed && (vm->state == VM_STOPPED ||
	    vm->state == VM_FAILED)) {
		json_t	*ev, *body = json_object();

		json_object_set_new(body, PF_NAME, json_string(vm->name));
		ev = proto_event(PROTO_EV_REMOVED, body);
		server_broadcast(ev);
		json_decref(ev);
		log_info("%s: removed from the configuration", vm->name);
		vm_remove(vm);
	}
}

static void
link_attach(struct vm *vm, int fd)
{
	fd_nonblock(fd);
	fd_cloexec(fd);
	vm->link = jline_new(agent->base, fd, PROTO_LINE_MAX, link_line_cb,
	    link_close_cb, vm);
}

static char *
link_join(char **list, int n)
{
	char	*s = NULL, *t;
	int	 i;

	for (i = 0; i < n; i++) {
		xasprintf(&t, "%s%s%s", s != NULL ? s : "", i > 0 ? "," : "",
		    list[i] != NULL ? list[i] : "-");
		free(s);
		s = t;
	}
	return (s);
}

/*
 * The monitor's command line for this VM with the agent's allocations
 * (VNC port, taps, MACs); mode is "-F" (log to stderr), "-n" (print the
 * hypervisor argv and exit) or NULL.
 */
void
link_monitor_argv(struct vm *vm, struct monitor_argv *ma, const char *mode)
{
	int	n = 0;

	memset(ma, 0, sizeof *ma);
	vm_allocate(vm);
	ma->argv[n++] = agent->monitor_path;
	if (mode != NULL)
		ma->argv[n++] = (char *)mode;
	if (agent->debug && (mode == NULL || strcmp(mode, "-n") != 0))
		ma->argv[n++] = "-d";	/* not with -n: its output is JSON */
	ma->argv[n++] = "-c";
	ma->argv[n++] = agent->confdir;
	ma->argv[n++] = "-r";
	ma->argv[n++] = agent->rundir;
	if (vm->vnc_port > 0) {
		snprintf(ma->port, sizeof ma->port, "%d", vm->vnc_port);
		ma->argv[n++] = "-p";
		ma->argv[n++] = ma->port;
	}
	if (vm->conf->nnics > 0) {
		ma->taps = link_join(vm->taps, vm->conf->nnics);
		ma->macs = link_join(vm->macs, vm->conf->nnics);
		ma->argv[n++] = "-t";
		ma->argv[n++] = ma->taps;
		ma->argv[n++] = "-m";
		ma->argv[n++] = ma->macs;
	}
	ma->argv[n++] = vm->name;
	ma->argv[n] = NULL;
}

void
link_monitor_argv_free(struct monitor_argv *ma)
{
	free(ma->taps);
	free(ma->macs);
}

/* Spawn the VM's monitor; the start itself is reported by status events. */
int
link_start(struct vm *vm, char **cause)
{
	struct monitor_argv	 ma;
	struct stat		 sb;
	int			 sv[2], logfd = -1;
	pid_t			 pid;

	if (vm->last_exit == VM_EXIT_MONITOR_LOST && vm->pid > 0 &&
	    platform_pid_alive(vm->pid)) {
		xasprintf(cause, "%s: its hypervisor (pid %ld) is still "
		    "running without a monitor; a second one would share "
		    "its disks: stop it first (kill %ld)", vm->name,
		    vm->pid, vm->pid);
		return (-1);
	}
	/*
	 * Monitors outlive the agent: they share its stderr only when that is
	 * a terminal or a file.  A pipe (daemon(8) -S) would be held open by
	 * them after the agent exits, so they log to syslog instead.
	 */
	if (agent->foreground && fstat(2, &sb) == 0 && !S_ISFIFO(sb.st_mode) &&
	    !S_ISSOCK(sb.st_mode))
		logfd = 2;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		xasprintf(cause, "%s: socketpair: %s", vm->name,
		    strerror(errno));
		return (-1);
	}
	fd_cloexec(sv[0]);
	link_monitor_argv(vm, &ma, logfd != -1 ? "-F" : NULL);
	pid = proc_spawn(ma.argv, -1, logfd, logfd, sv[1]);
	link_monitor_argv_free(&ma);
	close(sv[1]);
	if (pid == -1) {
		xasprintf(cause, "%s: cannot run %s: %s", vm->name,
		    agent->monitor_path, strerror(errno));
		close(sv[0]);
		return (-1);
	}
	vm->monitor_pid = pid;
	vm->outcome = VM_NSTOPS;
	free(vm->message);
	vm->message = NULL;
	if (vm->link != NULL)
		jline_free(vm->link);
	link_attach(vm, sv[0]);
	vm_set_state(vm, VM_STARTING);
	return (0);
}

/* Send a command to the VM's monitor. */
int
link_send(struct vm *vm, const char *cmd, int timeout)
{
	json_t	*o;
	int	 r;

	if (vm->link == NULL)
		return (-1);
	o = json_object();
	json_object_set_new(o, PF_CMD, json_string(cmd));
	if (timeout >= 0)
		json_object_set_new(o, "timeout", json_integer(timeout));
	r = jline_send(vm->link, o);
	json_decref(o);
	return (r);
}

/* After an agent (re)start: find the monitors that are still running. */
void
link_adopt_all(void)
{
	struct vm		*vm;
	struct sockaddr_un	 sun;
	char			*path;
	int			 fd;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		xasprintf(&path, "%s/%s.sock", agent->rundir, vm->name);
		if (!path_exists(path)) {
			free(path);
			link_read_state(vm);
			continue;
		}
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		strlcpy(sun.sun_path, path, sizeof sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd != -1 && connect(fd, (struct sockaddr *)&sun,
		    sizeof sun) == 0) {
			log_info("%s: reconnected to its running monitor",
			    vm->name);
			link_attach(vm, fd);
			/* Its first message is the status: assume live. */
			vm->state = VM_STARTING;
		} else {
			if (fd != -1)
				close(fd);
			log_info("%s: removing stale %s", vm->name, path);
			unlink(path);
			link_read_state(vm);
		}
		free(path);
	}
}
