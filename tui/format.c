/*
 * How VM fields look to people and to scripts: shared by the batch
 * output and the full screen, so both say the same thing.  No curses.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "tui.h"

char *
format_uptime(long long s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 86400)
		snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600,
		    (s / 60) % 60, s % 60);
	else
		snprintf(buf, len, "%lldd %02lld:%02lld", s / 86400,
		    (s / 3600) % 24, (s / 60) % 60);
	return (buf);
}

char *
format_memory(int mb, char *buf, size_t len)
{
	if (mb <= 0)
		snprintf(buf, len, "-");
	else if (mb % 1024 == 0)
		snprintf(buf, len, "%dG", mb / 1024);
	else
		snprintf(buf, len, "%dM", mb);
	return (buf);
}

char *
format_vnc(const struct vm_info *vm, char *buf, size_t len)
{
	if (vm->vnc_host == NULL || vm->vnc_port < 0)
		snprintf(buf, len, "-");
	else if (strchr(vm->vnc_host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", vm->vnc_host, vm->vnc_port);
	else
		snprintf(buf, len, "%s:%d", vm->vnc_host, vm->vnc_port);
	return (buf);
}

/* The ISO's file name without its directory, or "-". */
const char *
format_iso(const char *iso)
{
	const char	*p;

	if (iso == NULL || *iso == '\0')
		return ("-");
	if ((p = strrchr(iso, '/')) != NULL && p[1] != '\0')
		return (p + 1);
	return (iso);
}

char *
format_exit(const struct vm_info *vm, char *buf, size_t len)
{
	if (vm->last_exit == VM_EXIT_NONE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s", proto_exit_name(vm->last_exit));
	return (buf);
}

char *
format_pid(long pid, char *buf, size_t len)
{
	if (pid < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%ld", pid);
	return (buf);
}

/*
 * The object list --json and status --json print: the codec's fields
 * with null where a value does not apply, then whatever else the agent
 * sent (orig, may be NULL).  Returns a new reference.
 */
json_t *
format_vm_json(const struct vm_info *vm, const json_t *orig)
{
	json_t	*o;

	o = proto_vm_to_json(vm);
	if (vm->pid < 0)
		json_object_set_new(o, PF_PID, json_null());
	if (vm->vnc_host == NULL)
		json_object_set_new(o, PF_VNC_HOST, json_null());
	if (vm->vnc_port < 0)
		json_object_set_new(o, PF_VNC_PORT, json_null());
	if (vm->uptime_s < 0)
		json_object_set_new(o, PF_UPTIME_S, json_null());
	if (vm->iso == NULL)
		json_object_set_new(o, PF_ISO, json_null());
	if (vm->last_exit == VM_EXIT_NONE)
		json_object_set_new(o, PF_LAST_EXIT, json_null());
	if (orig != NULL)
		json_object_update_missing(o, (json_t *)orig);
	return (o);
}

/*
 * What happened, in words, for the reply to a change: "started",
 * "already running" ...  nowait: the reply came before the end.
 */
const char *
format_outcome(enum proto_cmd cmd, int changed, const char *outcome,
    int nowait)
{
	switch (cmd) {
	case CMD_START:
		if (!changed)
			return ("already running");
		return (nowait ? "starting" : "started");
	case CMD_STOP:
	case CMD_POWEROFF:
		if (!changed || (outcome != NULL && strcmp(outcome,
		    proto_stop_name(VM_STOP_ALREADY)) == 0))
			return ("already stopped");
		if (nowait || outcome == NULL)
			return ("stopping");
		if (strcmp(outcome, proto_stop_name(VM_STOP_FORCED)) == 0)
			return (cmd == CMD_STOP ? "stopped (forced: powered "
			    "off after the timeout)" : "powered off");
		return (cmd == CMD_STOP ? "stopped" : "powered off");
	case CMD_RESET:
		return (changed ? "reset" : "not reset");
	case CMD_RESTART:
		if (!changed)
			return ("not restarted");
		return (nowait ? "restarting" : "restarted");
	case CMD_ATTACH_ISO:
		return (changed ? "ISO attached" : "ISO already attached");
	case CMD_DETACH_ISO:
		return (changed ? "ISO detached" : "no ISO was attached");
	case CMD_CREATE:
		return (changed ? "created" : "exists with these parameters");
	case CMD_DELETE:
		return ("deleted (its disks are kept)");
	default:
		return (changed ? "changed" : "unchanged");
	}
}
