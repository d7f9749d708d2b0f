/*
 * The Anlasser protocol: the tables (commands, states, exit reasons,
 * stop outcomes, error codes), their lookups, UTF-8 checking, replies
 * and serialisation.  Requests are validated in proto-request.c, VM
 * objects coded in proto-vm.c, lines framed in proto-framer.c, the
 * legacy messages handled in proto-legacy.c.  See proto.h and
 * man/anlasser-protocol.7.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compat.h"
#include "proto.h"
#include "proto-int.h"
#include "xmalloc.h"

#define ARGS(...)	.args = { __VA_ARGS__ }
#define A_NAME		{ PF_NAME, ARG_VMNAME, 1 }
#define A_WAIT		{ PF_WAIT, ARG_BOOL, 0 }

const struct proto_cmd_entry proto_cmds[PROTO_NCMDS] = {
	[CMD_HELLO] = {
		.name = "hello", .cmd = CMD_HELLO, .flags = CMD_F_READONLY,
		ARGS({ PF_VERSION, ARG_INT, 1 }),
		.help = "agree on the protocol version; returns the agent's"
	},
	[CMD_LIST] = {
		.name = "list", .cmd = CMD_LIST, .flags = CMD_F_READONLY,
		.help = "list every configured VM with its state"
	},
	[CMD_STATUS] = {
		.name = "status", .cmd = CMD_STATUS, .flags = CMD_F_READONLY,
		ARGS(A_NAME),
		.help = "show one VM"
	},
	[CMD_START] = {
		.name = "start", .cmd = CMD_START, .flags = CMD_F_MUTATES,
		ARGS(A_NAME, A_WAIT),
		.help = "start a VM (wait: until it runs)"
	},
	[CMD_STOP] = {
		.name = "stop", .cmd = CMD_STOP, .flags = CMD_F_MUTATES,
		ARGS(A_NAME, { PF_TIMEOUT, ARG_INT, 0 }, A_WAIT),
		.help = "shut a VM down (ACPI), forced after timeout seconds"
	},
	[CMD_POWEROFF] = {
		.name = "poweroff", .cmd = CMD_POWEROFF,
		.flags = CMD_F_MUTATES,
		ARGS(A_NAME, A_WAIT),
		.help = "power a VM off at once, without asking the guest"
	},
	[CMD_RESET] = {
		.name = "reset", .cmd = CMD_RESET, .flags = CMD_F_MUTATES,
		ARGS(A_NAME),
		.help = "hard-reset a running VM"
	},
	[CMD_RESTART] = {
		.name = "restart", .cmd = CMD_RESTART, .flags = CMD_F_MUTATES,
		ARGS(A_NAME, { PF_TIMEOUT, ARG_INT, 0 }, A_WAIT),
		.help = "stop a VM gracefully, then start it again"
	},
	[CMD_ATTACH_ISO] = {
		.name = "attach-iso", .cmd = CMD_ATTACH_ISO,
		.flags = CMD_F_MUTATES,
		ARGS(A_NAME, { PF_PATH, ARG_PATH, 1 }, { PF_BOOT, ARG_BOOL, 0 }),
		.help = "set a VM's ISO image (boot: boot from it)"
	},
	[CMD_DETACH_ISO] = {
		.name = "detach-iso", .cmd = CMD_DETACH_ISO,
		.flags = CMD_F_MUTATES,
		ARGS(A_NAME),
		.help = "remove a VM's ISO image"
	},
	[CMD_LIST_ISOS] = {
		.name = "list-isos", .cmd = CMD_LIST_ISOS,
		.flags = CMD_F_READONLY,
		.help = "list the ISO images in the configured directories"
	},
	[CMD_RELOAD] = {
		.name = "reload", .cmd = CMD_RELOAD, .flags = 0,
		.help = "re-read the configuration directory"
	},
	[CMD_SUBSCRIBE] = {
		.name = "subscribe", .cmd = CMD_SUBSCRIBE,
		.flags = CMD_F_READONLY,
		.help = "receive events about every VM on this connection"
	},
	[CMD_CONSOLE] = {
		.name = "console", .cmd = CMD_CONSOLE, .flags = 0,
		ARGS(A_NAME),
		.help = "turn this connection into the VM's serial console"
	},
	[CMD_CONSOLE_LOG] = {
		.name = "console-log", .cmd = CMD_CONSOLE_LOG,
		.flags = CMD_F_READONLY,
		ARGS(A_NAME, { PF_LINES, ARG_INT, 0 }),
		.help = "the last lines of a VM's serial console output"
	},
	[CMD_SHOW_COMMAND] = {
		.name = "show-command", .cmd = CMD_SHOW_COMMAND,
		.flags = CMD_F_READONLY,
		ARGS(A_NAME),
		.help = "the hypervisor command line a start would run"
	},
	[CMD_START_ALL] = {
		.name = "start-all", .cmd = CMD_START_ALL,
		.flags = CMD_F_MUTATES,
		.help = "start every VM marked autostart, in order"
	},
	[CMD_STOP_ALL] = {
		.name = "stop-all", .cmd = CMD_STOP_ALL, .flags = CMD_F_MUTATES,
		.help = "stop every running VM"
	},
	[CMD_CREATE] = {
		.name = "create", .cmd = CMD_CREATE,
		.flags = CMD_F_MUTATES | CMD_F_NEWVM,
		ARGS(A_NAME, { PF_DISK_SIZE, ARG_STRING, 1 },
		    { PF_MEMORY_MB, ARG_INT, 0 }, { PF_CPUS, ARG_INT, 0 },
		    { PF_SOCKETS, ARG_INT, 0 }, { PF_CORES, ARG_INT, 0 },
		    { PF_THREADS, ARG_INT, 0 }, { PF_DISK_DIR, ARG_PATH, 0 },
		    { PF_ZFS_DATASET, ARG_STRING, 0 },
		    { PF_RECORDSIZE, ARG_STRING, 0 }, { PF_ISO, ARG_PATH, 0 },
		    { PF_NIC_BRIDGE, ARG_STRING, 0 }, { PF_MAC, ARG_STRING, 0 },
		    { PF_FIRMWARE, ARG_STRING, 0 }),
		.help = "create a VM: its disk, UEFI vars (not with bios) and "
		    "NAME.ini"
	},
	[CMD_DELETE] = {
		.name = "delete", .cmd = CMD_DELETE, .flags = CMD_F_MUTATES,
		ARGS(A_NAME),
		.help = "remove a stopped VM's NAME.ini (disks are kept)"
	},
};

const char *const proto_state_names[VM_NSTATES] = {
	[VM_STOPPED] = "stopped",
	[VM_STARTING] = "starting",
	[VM_RUNNING] = "running",
	[VM_STOPPING] = "stopping",
	[VM_REBOOTING] = "rebooting",
	[VM_FAILED] = "failed",
};

const char *const proto_exit_names[VM_NEXITS] = {
	[VM_EXIT_NONE] = "none",
	[VM_EXIT_REBOOT] = "reboot",
	[VM_EXIT_POWEROFF] = "poweroff",
	[VM_EXIT_HALT] = "halt",
	[VM_EXIT_TRIPLEFAULT] = "triple-fault",
	[VM_EXIT_ERROR] = "error",
	[VM_EXIT_SIGNAL] = "signal",
	[VM_EXIT_FORCED] = "forced",
	[VM_EXIT_START_FAILED] = "start-failed",
	[VM_EXIT_MONITOR_LOST] = "monitor-lost",
	[VM_EXIT_CRASH_LOOP] = "crash-loop",
};

const char *const proto_stop_names[VM_NSTOPS] = {
	[VM_STOP_GRACEFUL] = "graceful",
	[VM_STOP_FORCED] = "forced",
	[VM_STOP_ALREADY] = "already-stopped",
};

const char *const proto_error_names[PROTO_NERRORS] = {
	[ERR_NONE] = "none",
	[ERR_INVALID_JSON] = "invalid-json",
	[ERR_INVALID_UTF8] = "invalid-utf8",
	[ERR_LINE_TOO_LONG] = "line-too-long",
	[ERR_NOT_OBJECT] = "not-an-object",
	[ERR_UNKNOWN_COMMAND] = "unknown-command",
	[ERR_MISSING_ARGUMENT] = "missing-argument",
	[ERR_BAD_ARGUMENT] = "bad-argument",
	[ERR_VERSION] = "version-mismatch",
	[ERR_NO_SUCH_VM] = "no-such-vm",
	[ERR_PERMISSION] = "permission-denied",
	[ERR_BUSY] = "busy",
	[ERR_NOT_RUNNING] = "not-running",
	[ERR_INVALID_CONFIG] = "invalid-config",
	[ERR_FAILED] = "failed",
	[ERR_INTERNAL] = "internal",
};

static const char *const proto_arg_type_names[] = {
	[ARG_STRING] = "a string",
	[ARG_VMNAME] = "a VM name",
	[ARG_PATH] = "an absolute path",
	[ARG_INT] = "a non-negative integer",
	[ARG_BOOL] = "a boolean (true or false)",
};

/* ---------------------------------------------------------- lookups */

static int
name_index(const char *const *names, int n, const char *name)
{
	int	 i;

	if (name == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (i);
	}
	return (-1);
}

const struct proto_cmd_entry *
proto_cmd_lookup(const char *name)
{
	int	 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < PROTO_NCMDS; i++) {
		if (proto_cmds[i].name != NULL &&
		    strcmp(proto_cmds[i].name, name) == 0)
			return (&proto_cmds[i]);
	}
	return (NULL);
}

const struct proto_arg *
proto_cmd_arg(const struct proto_cmd_entry *ce, const char *name)
{
	int	 i;

	for (i = 0; i < PROTO_MAX_ARGS && ce->args[i].name != NULL; i++) {
		if (strcmp(ce->args[i].name, name) == 0)
			return (&ce->args[i]);
	}
	return (NULL);
}

int
proto_state_live(enum vm_state s)
{
	return (s != VM_STOPPED && s != VM_FAILED);
}

const char *
proto_state_name(enum vm_state s)
{
	if ((unsigned)s >= VM_NSTATES)
		return ("unknown");
	return (proto_state_names[s]);
}

int
proto_state_from_name(const char *name)
{
	return (name_index(proto_state_names, VM_NSTATES, name));
}

const char *
proto_exit_name(enum vm_exit e)
{
	if ((unsigned)e >= VM_NEXITS)
		return ("unknown");
	return (proto_exit_names[e]);
}

int
proto_exit_from_name(const char *name)
{
	return (name_index(proto_exit_names, VM_NEXITS, name));
}

const char *
proto_stop_name(enum vm_stop_outcome o)
{
	if ((unsigned)o >= VM_NSTOPS)
		return ("unknown");
	return (proto_stop_names[o]);
}

int
proto_stop_from_name(const char *name)
{
	return (name_index(proto_stop_names, VM_NSTOPS, name));
}

const char *
proto_error_name(enum proto_error e)
{
	if ((unsigned)e >= PROTO_NERRORS)
		return ("internal");
	return (proto_error_names[e]);
}

int
proto_error_from_name(const char *name)
{
	return (name_index(proto_error_names, PROTO_NERRORS, name));
}

const char *
proto_arg_type_name(enum proto_arg_type t)
{
	if ((unsigned)t >= nitems(proto_arg_type_names))
		return ("a value");
	return (proto_arg_type_names[t]);
}

/* ---------------------------------------------------------- helpers */

/* Offset of the first byte that breaks UTF-8, or len when valid. */
size_t
proto_utf8_bad_offset(const unsigned char *p, size_t len)
{
	size_t		 i = 0, n, k;
	unsigned char	 c, lo, hi;

	while (i < len) {
		c = p[i];
		lo = 0x80;
		hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return (i);	/* 0x80-0xc1, 0xf5-0xff */
		if (n > len - i - 1)
			return (i);	/* truncated */
		for (k = 1; k <= n; k++) {
			if (p[i + k] < lo || p[i + k] > hi)
				return (i);
			lo = 0x80;
			hi = 0xbf;
		}
		i += n + 1;
	}
	return (len);
}

int
proto_utf8_valid(const char *s, size_t len)
{
	return (proto_utf8_bad_offset((const unsigned char *)s, len) == len);
}

json_t *
proto_json_string(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if (s == NULL)
		return (json_null());
	if ((j = json_string(s)) != NULL)
		return (j);
	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return (j != NULL ? j : json_string(""));
}

/*
 * Copy s into buf for a message, cut at a character boundary and marked
 * with "..." when longer than fits.
 */
const char *
proto_quote(const char *s, char *buf, size_t size)
{
	size_t	 n = strlen(s);

	if (n < size) {
		memcpy(buf, s, n + 1);
		return (buf);
	}
	n = size - 4;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return (buf);
}

const char *
proto_json_type(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return ("an object");
	case JSON_ARRAY:
		return ("an array");
	case JSON_STRING:
		return ("a string");
	case JSON_INTEGER:
		return ("an integer");
	case JSON_REAL:
		return ("a number with a fraction");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("a boolean");
	case JSON_NULL:
		return ("null");
	}
	return ("a value");
}

json_t *
proto_reply_ok(json_t *id, json_t *result)
{
	json_t	*r = json_object();

	if (id != NULL)
		json_object_set(r, PF_ID, id);
	json_object_set_new(r, PF_OK, json_true());
	json_object_set_new(r, PF_RESULT,
	    result != NULL ? result : json_object());
	return (r);
}

json_t *
proto_reply_error(json_t *id, enum proto_error code, const char *fmt, ...)
{
	json_t	*r = json_object(), *e = json_object();
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (id != NULL)
		json_object_set(r, PF_ID, id);
	json_object_set_new(r, PF_OK, json_false());
	json_object_set_new(e, PF_CODE, json_string(proto_error_name(code)));
	json_object_set_new(e, PF_MESSAGE,
	    proto_json_string(msg != NULL ? msg : proto_error_name(code)));
	json_object_set_new(r, PF_ERROR, e);
	free(msg);
	return (r);
}

json_t *
proto_event(const char *name, json_t *body)
{
	json_t	*r = json_object();

	json_object_set_new(r, PF_EVENT, proto_json_string(name));
	if (body != NULL) {
		if (json_is_object(body))
			json_object_update_missing(r, body);
		json_decref(body);
	}
	return (r);
}

char *
proto_dump(const json_t *j, size_t *lenp)
{
	size_t	 flags = JSON_COMPACT | JSON_ENCODE_ANY, n;
	char	*s;

	if ((n = json_dumpb(j, NULL, 0, flags)) == 0)
		return (NULL);
	s = xmalloc(n + 2);
	if (json_dumpb(j, s, n, flags) != n) {
		free(s);
		return (NULL);
	}
	s[n] = '\n';
	s[n + 1] = '\0';
	if (lenp != NULL)
		*lenp = n + 1;
	return (s);
}
