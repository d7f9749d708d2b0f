/*
 * anlasser-monitor: the parent of one VM's hypervisor.
 *
 *   anlasser-monitor [-dFn] -c confdir -r rundir [-p vncport]
 *       [-t tap[,tap...]] [-m mac[,mac...]] name
 *
 * It loads the VM's configuration, prepares it (driver->prepare), runs the
 * hypervisor and runs it again after a guest reboot, escalates stops
 * (ACPI power button, then power-off after shutdown_timeout), detects
 * crash loops, and cleans up after the final exit (driver->cleanup).
 *
 * The agent talks to it over descriptor 3 (a socketpair, when the agent
 * spawned it) and over RUNDIR/NAME.sock (after an agent restart), with
 * newline-delimited JSON:
 *
 *   agent -> monitor   {"cmd":"status"} {"cmd":"stop","timeout":N}
 *                      {"cmd":"poweroff"} {"cmd":"reset"}
 *                      {"cmd":"restart","timeout":N} {"cmd":"fresh-vars"}
 *                      {"cmd":"console"}: after the {"ok":true} reply
 *                      the connection is a raw console stream (console.c)
 *   monitor -> agent   {"event":"status", "state":..., "pid":..., ...}
 *                      after every change, and {"ok":...} replies.
 *
 * The same status object is written to RUNDIR/NAME.state, so an agent that
 * starts after the monitor has gone still learns how the VM ended.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "compat.h"
#include "conf.h"
#include "console.h"
#include "driver.h"
#include "jline.h"
#include "log.h"
#include "monitor.h"
#include "proc.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

#define MON_LOOP_WINDOW		60	/* seconds */
#define MON_LOOP_MAX		6	/* exits within the window */
#define MON_START_GRACE		2.0	/* an exit this early failed to start */
#define MON_POWEROFF_WAIT	10	/* then SIGKILL */
#define MON_MAX_CLIENTS		16

struct mon_client {
	struct jline	*jl;
	struct mon	*mon;
};

enum mon_pending {
	PENDING_NONE,
	PENDING_STOP,		/* graceful stop in progress */
	PENDING_POWEROFF,	/* forced */
	PENDING_RESTART,	/* stop, then boot again */
	PENDING_RESET
};

static struct mon	 mon0;
static struct mon_client *clients[MON_MAX_CLIENTS];
static struct event	*ev_sigchld, *ev_sigterm, *ev_sighup, *ev_listen;
static struct event	*ev_timeout, *ev_kill, *ev_respawn;
static enum mon_pending	 pending;
static enum vm_stop_outcome outcome = VM_NSTOPS;
static int		 stop_timeout;
static double		 spawn_mono;
static double		 exits[MON_LOOP_MAX];
static int		 nexits;
static char		*error_msg;
static int		 listen_fd = -1;
static ino_t		 listen_ino;
static int		 final_exit;
static int		 ever_running;

static void	mon_spawn(struct mon *);
static void	mon_status_changed(struct mon *);
static void	mon_final(struct mon *, enum vm_state, const char *);

char *
mon_path(struct mon *mon, const char *suffix)
{
	char	*p;

	xasprintf(&p, "%s/%s.%s", mon->rundir, mon->name, suffix);
	return (p);
}

void
mon_log(struct mon *mon, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_info("%s: %s", mon->name, buf);
}

/* The status object sent to the agent and written to NAME.state. */
static json_t *
mon_status_json(struct mon *mon)
{
	json_t	*o, *taps;
	int	 i;

	o = json_object();
	json_object_set_new(o, "event", json_string("status"));
	json_object_set_new(o, PF_NAME, json_string(mon->name));
	json_object_set_new(o, PF_STATE,
	    json_string(proto_state_name(mon->state)));
	json_object_set_new(o, "monitor_pid", json_integer(getpid()));
	json_object_set_new(o, PF_PID,
	    mon->pid > 0 ? json_integer(mon->pid) : json_null());
	json_object_set_new(o, "started", mon->started != 0 ?
	    json_integer(mon->started) : json_null());
	json_object_set_new(o, PF_LAST_EXIT, mon->last_exit == VM_EXIT_NONE ?
	    json_null() : json_string(proto_exit_name(mon->last_exit)));
	json_object_set_new(o, PF_LAST_EXIT_TIME,
	    json_integer(mon->last_exit_time));
	json_object_set_new(o, PF_VNC_PORT,
	    mon->vnc_port > 0 ? json_integer(mon->vnc_port) : json_null());
	taps = json_array();
	for (i = 0; mon->vm != NULL && i < mon->vm->nnics; i++)
		json_array_append_new(taps, mon->taps[i] != NULL ?
		    json_string(mon->taps[i]) : json_null());
	json_object_set_new(o, "taps", taps);
	json_object_set_new(o, PF_ISO, mon->vm != NULL &&
	    mon->vm->iso_path != NULL ?
	    json_string(mon->vm->iso_path) : json_null());
	json_object_set_new(o, PF_OUTCOME, outcome != VM_NSTOPS ?
	    json_string(proto_stop_name(outcome)) : json_null());
	json_object_set_new(o, PF_MESSAGE, error_msg != NULL ?
	    json_string(error_msg) : json_null());
	json_object_set_new(o, "final", json_boolean(final_exit));
	return (o);
}

static void
mon_write_state(struct mon *mon, json_t *o)
{
	char	*path, *s;
	size_t	 len;

	path = mon_path(mon, "state");
	s = proto_dump(o, &len);
	if (write_file_atomic(path, s, len, 0640) == -1)
		log_warn("%s: writing %s", mon->name, path);
	free(s);
	free(path);
}

static void
mon_broadcast(json_t *o)
{
	int	i;

	for (i = 0; i < MON_MAX_CLIENTS; i++) {
		if (clients[i] != NULL)
			jline_send(clients[i]->jl, o);
	}
}

static void
mon_status_changed(struct mon *mon)
{
	json_t	*o;

	o = mon_status_json(mon);
	mon_write_state(mon, o);
	mon_broadcast(o);
	json_decref(o);
}

static void
mon_set_state(struct mon *mon, enum vm_state state)
{
	if (mon->state == state)
		return;
	log_debug("%s: %s -> %s", mon->name, proto_state_name(mon->state),
	    proto_state_name(state));
	mon->state = state;
	mon_status_changed(mon);
}

void
mon_running(struct mon *mon)
{
	if (mon->state != VM_STARTING && mon->state != VM_REBOOTING)
		return;
	ever_running = 1;
	mon_set_state(mon, VM_RUNNING);
}

/* Reload the configuration before a run: changes apply at next boot. */
static void
mon_reload(struct mon *mon)
{
	struct conf_problems	 problems;
	struct conf		*conf;
	struct vm_conf		*vm;

	conf_problems_init(&problems);
	conf = conf_load_dir(mon->confdir, &problems);
	if (conf == NULL) {
		if (mon->vm != NULL)
			mon_log(mon, "configuration has problems, keeping "
			    "the previous one for this boot");
		conf_problems_clear(&problems);
		return;
	}
	conf_problems_clear(&problems);
	if ((vm = vm_conf_find(conf, mon->name)) == NULL) {
		conf_free(conf);
		return;
	}
	TAILQ_REMOVE(&conf->vms, vm, entry);
	conf->nvms--;
	if (mon->vm != NULL)
		vm_conf_free(mon->vm);
	mon->vm = vm;
	agent_conf_clear(&mon->agent);
	mon->agent = conf->agent;
	memset(&conf->agent, 0, sizeof conf->agent);
	conf_free(conf);
}

/* "Boot from the ISO next time": back up the vars, take a fresh copy. */
static int
mon_fresh_vars(struct mon *mon, char **cause)
{
	char		*flag, *bak, stamp[32];
	time_t		 now;
	struct tm	 tm;

	flag = mon_path(mon, "fresh-vars");
	if (!path_exists(flag) && !mon->boot_fresh_vars) {
		free(flag);
		return (0);
	}
	if (mon->vm->uefi_vars == NULL) {	/* firmware = bios */
		unlink(flag);
		mon->boot_fresh_vars = 0;
		free(flag);
		return (0);
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	xasprintf(&bak, "%s.bak-%s", mon->vm->uefi_vars, stamp);
	if (path_exists(mon->vm->uefi_vars) &&
	    rename(mon->vm->uefi_vars, bak) == -1) {
		xasprintf(cause, "%s: cannot back up %s: %s", mon->name,
		    mon->vm->uefi_vars, strerror(errno));
		free(bak);
		free(flag);
		return (-1);
	}
	if (copy_file(mon->agent.uefi_vars_template, mon->vm->uefi_vars,
	    0600) == -1) {
		xasprintf(cause, "%s: cannot copy %s to %s: %s", mon->name,
		    mon->agent.uefi_vars_template, mon->vm->uefi_vars,
		    strerror(errno));
		rename(bak, mon->vm->uefi_vars);
		free(bak);
		free(flag);
		return (-1);
	}
	mon_log(mon, "UEFI vars backed up to %s, fresh copy of %s in place",
	    bak, mon->agent.uefi_vars_template);
	unlink(flag);
	mon->boot_fresh_vars = 0;
	free(bak);
	free(flag);
	return (0);
}

static void
mon_spawn(struct mon *mon)
{
	char	**argv, *cause = NULL, *s;
	int	   i, logfd;

	if (mon_fresh_vars(mon, &cause) == -1) {
		mon_final(mon, VM_FAILED, cause);
		free(cause);
		return;
	}
	if ((argv = mon->drv->argv(mon, &cause)) == NULL) {
		mon->last_exit = VM_EXIT_START_FAILED;
		mon->last_exit_time = time(NULL);
		mon_final(mon, VM_FAILED, cause);
		free(cause);
		return;
	}
	s = proc_argv_string(argv);
	log_debug("%s: exec %s", mon->name, s);
	free(s);

	/* The hypervisor's own messages go to RUNDIR/NAME.out. */
	s = mon_path(mon, "out");
	logfd = open(s, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	free(s);
	mon->pid = proc_spawn(argv, -1, logfd, logfd, -1);
	if (logfd != -1)
		close(logfd);
	if (mon->pid == -1) {
		xasprintf(&cause, "%s: cannot run %s: %s", mon->name, argv[0],
		    strerror(errno));
		mon->last_exit = VM_EXIT_START_FAILED;
		mon_final(mon, VM_FAILED, cause);
		free(cause);
	} else {
		spawn_mono = mono_now();
		mon->spawned = time(NULL);
		if (mon->state != VM_REBOOTING || mon->started == 0)
			mon->started = mon->spawned;
		mon_status_changed(mon);
		if (mon->drv->spawned != NULL)
			mon->drv->spawned(mon);
	}
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static void
mon_respawn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;

	mon_reload(mon);
	mon_spawn(mon);
}

/* Leave for good: clean up, tell everyone, exit once the news is out. */
static void
mon_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;
	struct stat	 sb;
	char		*p, *s;

	console_free(mon);
	/* A new monitor for this VM may have taken the names already. */
	p = mon_path(mon, "sock");
	if (stat(p, &sb) == 0 && sb.st_ino == listen_ino)
		unlink(p);
	free(p);
	p = mon_path(mon, "pid");
	if ((s = read_file(p, 64, NULL)) != NULL && atol(s) == (long)getpid())
		unlink(p);
	free(s);
	free(p);
	event_base_loopexit(mon->base, NULL);
}

static void
mon_final(struct mon *mon, enum vm_state state, const char *msg)
{
	struct timeval	tv = { 0, 200000 };

	if (final_exit)
		return;
	final_exit = 1;
	if (msg != NULL) {
		free(error_msg);
		error_msg = xstrdup(msg);
		log_warnx("%s", msg);
	}
	if (ev_timeout != NULL)
		event_del(ev_timeout);
	mon->drv->cleanup(mon);
	mon->pid = -1;
	mon->started = 0;
	mon->state = state;
	mon_status_changed(mon);
	mon_log(mon, "%s (last exit: %s)", proto_state_name(state),
	    proto_exit_name(mon->last_exit));
	/* Give the agent a moment to read the final status. */
	event_base_once(mon->base, -1, EV_TIMEOUT, mon_exit_cb, mon, &tv);
}

/* Too many exits in a short window: a reboot or crash loop. */
static int
mon_loop_check(void)
{
	double	now = mono_now();
	int	i, n = 0;

	if (nexits < MON_LOOP_MAX)
		exits[nexits++] = now;
	else {
		memmove(exits, exits + 1, sizeof exits[0] *
		    (MON_LOOP_MAX - 1));
		exits[MON_LOOP_MAX - 1] = now;
	}
	for (i = 0; i < nexits; i++) {
		if (now - exits[i] < MON_LOOP_WINDOW)
			n++;
	}
	return (n >= MON_LOOP_MAX);
}

static void
mon_boot_again(struct mon *mon, enum vm_state state)
{
	struct timeval	tv = { 0, 100000 };

	mon->state = state;
	mon_status_changed(mon);
	event_add(ev_respawn, &tv);
}

static void
mon_exited(struct mon *mon, int status)
{
	enum vm_exit	 reason;
	double		 ran = mono_now() - spawn_mono;
	char		*msg = NULL;

	reason = mon->drv->exit_reason(mon, status);
	if (!ever_running && ran < MON_START_GRACE &&
	    !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	    pending == PENDING_NONE)
		reason = VM_EXIT_START_FAILED;
	mon->pid = -1;
	mon->last_exit = reason;
	mon->last_exit_time = time(NULL);
	mon->last_status = status;
	mon_log(mon, "hypervisor %s: %s", proc_status_string(status),
	    proto_exit_name(reason));
	if (ev_timeout != NULL)
		event_del(ev_timeout);
	event_del(ev_kill);

	switch (pending) {
	case PENDING_STOP:
	case PENDING_POWEROFF:
	case PENDING_RESTART:
		if (pending == PENDING_STOP && reason == VM_EXIT_SIGNAL &&
		    WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) {
			/* bhyve before ACPI: SIGTERM killed it outright. */
			outcome = VM_STOP_FORCED;
			xasprintf(&msg, "%s: the guest had not enabled ACPI "
			    "yet, so the power button killed the hypervisor "
			    "outright", mon->name);
		} else if (outcome == VM_NSTOPS)
			outcome = pending == PENDING_POWEROFF ?
			    VM_STOP_FORCED : VM_STOP_GRACEFUL;
		if (pending == PENDING_RESTART) {
			pending = PENDING_NONE;
			mon_log(mon, "restarting (%s stop)",
			    proto_stop_name(outcome));
			outcome = VM_NSTOPS;
			mon->started = 0;
			mon_boot_again(mon, VM_STARTING);
			free(msg);
			return;
		}
		mon_final(mon, VM_STOPPED, msg);
		free(msg);
		return;
	case PENDING_RESET:
		pending = PENDING_NONE;
		mon->started = 0;
		mon_boot_again(mon, VM_REBOOTING);
		return;
	case PENDING_NONE:
		break;
	}

	switch (reason) {
	case VM_EXIT_REBOOT:
		if (mon_loop_check()) {
			mon->last_exit = VM_EXIT_CRASH_LOOP;
			xasprintf(&msg, "%s: rebooted %d times within %d "
			    "seconds: giving up", mon->name, MON_LOOP_MAX,
			    MON_LOOP_WINDOW);
			mon_final(mon, VM_FAILED, msg);
			free(msg);
			return;
		}
		mon->started = 0;
		mon_boot_again(mon, VM_REBOOTING);
		return;
	case VM_EXIT_POWEROFF:
	case VM_EXIT_HALT:
		mon_final(mon, VM_STOPPED, NULL);
		return;
	case VM_EXIT_START_FAILED:
		xasprintf(&msg, "%s: the hypervisor failed to start (%s); "
		    "see %s/%s.out", mon->name, proc_status_string(status),
		    mon->rundir, mon->name);
		mon_final(mon, VM_FAILED, msg);
		free(msg);
		return;
	default:
		if (mon->vm->restart_on_crash && !mon_loop_check()) {
			mon_log(mon, "crashed (%s), restarting as configured",
			    proto_exit_name(reason));
			mon->started = 0;
			mon_boot_again(mon, VM_REBOOTING);
			return;
		}
		if (mon->vm->restart_on_crash)
			mon->last_exit = VM_EXIT_CRASH_LOOP;
		xasprintf(&msg, "%s: the guest crashed (%s, hypervisor %s)",
		    mon->name, proto_exit_name(reason),
		    proc_status_string(status));
		mon_final(mon, VM_FAILED, msg);
		free(msg);
		return;
	}
}

static void
mon_sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == mon->pid)
			mon_exited(mon, status);
	}
}

static void
mon_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;

	if (mon->pid > 0) {
		mon_log(mon, "hypervisor still running %d s after power-off, "
		    "killing it", MON_POWEROFF_WAIT);
		kill(mon->pid, SIGKILL);
	}
}

static void
mon_poweroff(struct mon *mon)
{
	struct timeval	 tv = { MON_POWEROFF_WAIT, 0 };
	char		*cause = NULL;

	if (mon->pid <= 0)
		return;
	outcome = VM_STOP_FORCED;
	if (mon->drv->poweroff(mon, &cause) == -1) {
		mon_log(mon, "power-off failed (%s), killing the hypervisor",
		    cause);
		free(cause);
		kill(mon->pid, SIGKILL);
	}
	event_add(ev_kill, &tv);
}

static void
mon_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;

	mon_log(mon, "guest did not power off within %d s, forcing it",
	    stop_timeout);
	mon_poweroff(mon);
}

/* Start a stop; the state is already checked. */
static void
mon_stop(struct mon *mon, int timeout, enum mon_pending kind)
{
	struct timeval	 tv = { timeout, 0 };
	char		*cause = NULL;

	pending = kind;
	outcome = VM_NSTOPS;
	stop_timeout = timeout;
	if (mon->pid <= 0) {
		/* Between two runs (rebooting): just do not run again. */
		event_del(ev_respawn);
		if (kind == PENDING_RESTART) {
			pending = PENDING_NONE;
			mon_boot_again(mon, VM_STARTING);
			return;
		}
		outcome = VM_STOP_GRACEFUL;
		mon_final(mon, VM_STOPPED, NULL);
		return;
	}
	mon_set_state(mon, VM_STOPPING);
	if (kind == PENDING_POWEROFF) {
		mon_poweroff(mon);
		return;
	}
	if (mon->drv->shutdown(mon, &cause) == -1) {
		mon_log(mon, "ACPI shutdown request failed (%s), forcing",
		    cause);
		free(cause);
		mon_poweroff(mon);
		return;
	}
	event_add(ev_timeout, &tv);
}

static json_t *
mon_reply(int ok, const char *fmt, ...)
{
	json_t	*o;
	char	*msg;
	va_list	 ap;

	o = json_object();
	json_object_set_new(o, PF_OK, json_boolean(ok));
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) == -1)
			fatal("vasprintf");
		va_end(ap);
		json_object_set_new(o, PF_MESSAGE, json_string(msg));
		free(msg);
	}
	return (o);
}

static json_t *
mon_command(struct mon *mon, const json_t *req)
{
	const char	*cmd;
	json_t		*t;
	char		*cause = NULL, *flag;
	int		 timeout;
	int		 active;

	cmd = json_string_value(json_object_get(req, PF_CMD));
	if (cmd == NULL)
		return (mon_reply(0, "no cmd"));
	active = !final_exit && pending == PENDING_NONE;
	t = json_object_get(req, "timeout");
	timeout = json_is_integer(t) ? (int)json_integer_value(t) :
	    mon->vm->shutdown_timeout;
	if (timeout < 0)
		timeout = 0;

	if (strcmp(cmd, "status") == 0)
		return (mon_status_json(mon));
	if (strcmp(cmd, "console") == 0)
		return (mon_reply(0, "%s has no serial console (console = no "
		    "in its configuration)", mon->name));
	if (strcmp(cmd, "fresh-vars") == 0) {
		flag = mon_path(mon, "fresh-vars");
		if (write_file_atomic(flag, "", 0, 0600) == -1) {
			free(flag);
			return (mon_reply(0, "%s: %s", mon->name,
			    strerror(errno)));
		}
		free(flag);
		return (mon_reply(1, NULL));
	}
	if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "restart") == 0) {
		if (pending == PENDING_POWEROFF || final_exit)
			return (mon_reply(1, "already stopping"));
		if (pending == PENDING_STOP || pending == PENDING_RESTART) {
			/* A second stop may shorten the wait. */
			if (strcmp(cmd, "stop") == 0)
				pending = PENDING_STOP;
			return (mon_reply(1, "already stopping"));
		}
		mon_stop(mon, timeout, strcmp(cmd, "stop") == 0 ?
		    PENDING_STOP : PENDING_RESTART);
		return (mon_reply(1, NULL));
	}
	if (strcmp(cmd, "poweroff") == 0) {
		if (final_exit)
			return (mon_reply(1, "already stopped"));
		if (pending == PENDING_STOP || pending == PENDING_RESTART) {
			event_del(ev_timeout);
			pending = PENDING_POWEROFF;
			mon_poweroff(mon);
			return (mon_reply(1, NULL));
		}
		mon_stop(mon, 0, PENDING_POWEROFF);
		return (mon_reply(1, NULL));
	}
	if (strcmp(cmd, "reset") == 0) {
		if (!active || mon->pid <= 0)
			return (mon_reply(0, "%s: not running", mon->name));
		pending = PENDING_RESET;
		mon_set_state(mon, VM_REBOOTING);
		if (mon->drv->reset(mon, &cause) == -1) {
			pending = PENDING_NONE;
			t = mon_reply(0, "%s: reset failed: %s", mon->name,
			    cause);
			free(cause);
			return (t);
		}
		return (mon_reply(1, NULL));
	}
	return (mon_reply(0, "unknown command %s", cmd));
}

static void
mon_client_close_cb(struct jline *jl, const char *why, void *arg)
{
	struct mon_client	*c = arg;
	int			 i;

	for (i = 0; i < MON_MAX_CLIENTS; i++) {
		if (clients[i] == c)
			clients[i] = NULL;
	}
	jline_free(jl);
	free(c);
}

/* {"cmd":"console"}: the connection becomes a console viewer. */
static int
mon_console(struct mon_client *c, const json_t *req)
{
	const char	*cmd;
	int		 i;

	cmd = json_string_value(json_object_get(req, PF_CMD));
	if (cmd == NULL || strcmp(cmd, "console") != 0 ||
	    c->mon->console == NULL)
		return (-1);
	if (console_viewer_add(c->mon, c->jl, json_object_get(req,
	    PF_ID)) == -1)
		return (0);	/* refused; the reply is sent */
	for (i = 0; i < MON_MAX_CLIENTS; i++) {
		if (clients[i] == c)
			clients[i] = NULL;
	}
	free(c);
	return (0);
}

static void
mon_client_line_cb(struct jline *jl, const char *line, size_t len,
    void *arg)
{
	struct mon_client	*c = arg;
	json_t			*req, *reply, *id;
	json_error_t		 err;

	if (len == 0)
		return;
	req = json_loadb(line, len, 0, &err);
	if (json_is_object(req) && mon_console(c, req) == 0) {
		json_decref(req);
		return;
	}
	if (!json_is_object(req)) {
		json_decref(req);
		reply = mon_reply(0, "invalid request");
	} else {
		reply = mon_command(c->mon, req);
		if ((id = json_object_get(req, PF_ID)) != NULL)
			json_object_set(reply, PF_ID, id);
		json_decref(req);
	}
	jline_send(jl, reply);
	json_decref(reply);
}

static void
mon_add_client(struct mon *mon, int fd)
{
	struct mon_client	*c;
	json_t			*o;
	int			 i;

	for (i = 0; i < MON_MAX_CLIENTS; i++) {
		if (clients[i] == NULL)
			break;
	}
	if (i == MON_MAX_CLIENTS) {
		close(fd);
		return;
	}
	fd_nonblock(fd);
	fd_cloexec(fd);
	c = xcalloc(1, sizeof *c);
	c->mon = mon;
	c->jl = jline_new(mon->base, fd, PROTO_LINE_MAX, mon_client_line_cb,
	    mon_client_close_cb, c);
	c->jl->out_max = 1 << 20;
	clients[i] = c;
	o = mon_status_json(mon);
	jline_send(c->jl, o);
	json_decref(o);
}

static void
mon_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;
	int		 s;

	if ((s = accept(fd, NULL, NULL)) == -1)
		return;
	mon_add_client(mon, s);
}

static int
mon_listen(struct mon *mon)
{
	struct sockaddr_un	 sun;
	char			*path;
	int			 fd;
	mode_t			 old;

	path = mon_path(mon, "sock");
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		log_warnx("%s: socket path %s too long", mon->name, path);
		free(path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	unlink(path);
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old);
		log_warn("%s: bind %s", mon->name, path);
		free(path);
		close(fd);
		return (-1);
	}
	umask(old);
	{
		struct stat	sb;

		if (stat(path, &sb) == 0)
			listen_ino = sb.st_ino;
	}
	free(path);
	if (listen(fd, 8) == -1)
		fatal("listen");
	fd_nonblock(fd);
	fd_cloexec(fd);
	return (fd);
}

static void
mon_sigterm_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;

	/* SIGTERM to the monitor is a graceful stop of its VM. */
	if (!final_exit && pending == PENDING_NONE)
		mon_stop(mon, mon->vm->shutdown_timeout, PENDING_STOP);
}

static void
mon_sighup_cb(evutil_socket_t fd, short what, void *arg)
{
	log_reopen();
}

static void
mon_split(char **out, int max, const char *list)
{
	char	*copy, *p, *tok;
	int	 i = 0;

	if (list == NULL)
		return;
	copy = p = xstrdup(list);
	while ((tok = strsep(&p, ",")) != NULL && i < max) {
		if (*tok != '\0' && strcmp(tok, "-") != 0)
			out[i] = xstrdup(tok);
		i++;
	}
	free(copy);
}

static __attribute__((noreturn)) void
mon_usage(void)
{
	fprintf(stderr, "usage: anlasser-monitor [-dFn] -c confdir -r rundir "
	    "[-p vncport] [-t taps] [-m macs] name\n");
	exit(2);
}

/* -n: print the argv that would run, as JSON, and exit. */
static int
mon_dry_run(struct mon *mon)
{
	char	**argv, *cause = NULL;
	json_t	 *a;
	int	   i;

	if ((argv = mon->drv->argv(mon, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return (1);
	}
	a = json_array();
	for (i = 0; argv[i] != NULL; i++) {
		json_array_append_new(a, json_string(argv[i]));
		free(argv[i]);
	}
	free(argv);
	json_dumpf(a, stdout, JSON_COMPACT);
	printf("\n");
	json_decref(a);
	return (0);
}

int
main(int argc, char **argv)
{
	struct mon	*mon = &mon0;
	char		*cause = NULL, *p, *taps = NULL, *macs = NULL, buf[32];
	int		 ch, debug = 0, foreground = 0, dry = 0, i;
	int		 agent_fd = -1;

	/* Descriptor 3: the link to the agent that spawned us. */
	if (fcntl(3, F_GETFD) != -1)
		agent_fd = 3;
	signal(SIGPIPE, SIG_IGN);
	mon->vnc_port = -1;
	mon->pid = -1;
	while ((ch = getopt(argc, argv, "c:dFm:np:r:t:")) != -1) {
		switch (ch) {
		case 'c':
			mon->confdir = optarg;
			break;
		case 'd':
			debug++;
			break;
		case 'F':
			foreground = 1;
			break;
		case 'm':
			macs = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'p':
			mon->vnc_port = atoi(optarg);
			break;
		case 'r':
			mon->rundir = optarg;
			break;
		case 't':
			taps = optarg;
			break;
		default:
			mon_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || mon->confdir == NULL || mon->rundir == NULL)
		mon_usage();
	mon->name = argv[0];
	if (vm_name_check(mon->name) != NULL)
		mon_usage();
	log_init("anlasser-monitor", foreground || dry ? LOG_TO_STDERR :
	    LOG_TO_SYSLOG, NULL, debug);

	mon_reload(mon);
	if (mon->vm == NULL) {
		fprintf(stderr, "%s: no valid configuration for VM %s in %s "
		    "(run anlasser-agent --check)\n", mon->name, mon->name,
		    mon->confdir);
		return (1);
	}
	if ((mon->drv = driver_find(mon->agent.driver)) == NULL)
		fatalx("unknown driver %s", mon->agent.driver);
	if (mon->vm->vnc_port > 0)
		mon->vnc_port = mon->vm->vnc_port;
	if (!mon->vm->vnc)
		mon->vnc_port = -1;
	mon_split(mon->taps, VM_MAX_NICS, taps);
	mon_split(mon->macs, VM_MAX_NICS, macs);
	for (i = 0; i < mon->vm->nnics; i++) {
		if (mon->vm->nics[i].tapdev != NULL) {
			free(mon->taps[i]);
			mon->taps[i] = xstrdup(mon->vm->nics[i].tapdev);
		}
		if (mon->vm->nics[i].mac != NULL) {
			free(mon->macs[i]);
			mon->macs[i] = xstrdup(mon->vm->nics[i].mac);
		}
	}
	if (dry)
		return (mon_dry_run(mon));

	if ((mon->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	ev_sigchld = evsignal_new(mon->base, SIGCHLD, mon_sigchld_cb, mon);
	ev_sigterm = evsignal_new(mon->base, SIGTERM, mon_sigterm_cb, mon);
	ev_sighup = evsignal_new(mon->base, SIGHUP, mon_sighup_cb, mon);
	evsignal_add(ev_sigchld, NULL);
	evsignal_add(ev_sigterm, NULL);
	evsignal_add(ev_sighup, NULL);
	signal(SIGINT, SIG_IGN);
	ev_timeout = evtimer_new(mon->base, mon_timeout_cb, mon);
	ev_kill = evtimer_new(mon->base, mon_kill_cb, mon);
	ev_respawn = evtimer_new(mon->base, mon_respawn_cb, mon);

	p = mon_path(mon, "pid");
	snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	write_file_atomic(p, buf, strlen(buf), 0644);
	free(p);
	if ((listen_fd = mon_listen(mon)) == -1)
		return (1);
	ev_listen = event_new(mon->base, listen_fd, EV_READ | EV_PERSIST,
	    mon_accept_cb, mon);
	event_add(ev_listen, NULL);
	mon->state = VM_STARTING;
	if (agent_fd != -1)
		mon_add_client(mon, agent_fd);
	mon_status_changed(mon);
	console_init(mon);
	if (mon->drv->prepare(mon, &cause) == -1) {
		mon->last_exit = VM_EXIT_START_FAILED;
		mon->last_exit_time = time(NULL);
		mon_final(mon, VM_FAILED, cause);
		free(cause);
	} else
		mon_spawn(mon);

	event_base_dispatch(mon->base);
	return (mon->state == VM_STOPPED ? 0 : 1);
}
