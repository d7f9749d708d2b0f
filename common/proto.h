/*
 * The Anlasser protocol: THE definition shared by the agent and the TUI.
 * Newline-delimited JSON over a UNIX socket; written up in
 * man/anlasser-protocol.7.  Bump PROTO_VERSION if any message changes.
 *
 * Request:  {"id": <any>, "cmd": "start", "name": "vm1", ...}
 * Reply:    {"id": <same>, "ok": true, "result": {...}}
 *           {"id": <same>, "ok": false,
 *            "error": {"code": "no-such-vm", "message": "..."}}
 * Event:    {"event": "state", "vm": {...}}   (after "subscribe")
 * Legacy:   {"action": "list_vms"} etc., answered as the Python
 *           Anlasser did ({"result": "success"|"failure", ...}).
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <jansson.h>

#define PROTO_VERSION		1
#define PROTO_LINE_MAX		65536	/* bytes, newline excluded */
#define PROTO_SOCKET_DEFAULT	"/var/run/anlasser.sock"
#define PROTO_SOCKET_ENV	"ANLASSER_SOCKET"

/* VM states; the names on the wire are in proto_state_names[]. */
enum vm_state {
	VM_STOPPED,
	VM_STARTING,
	VM_RUNNING,
	VM_STOPPING,
	VM_REBOOTING,
	VM_FAILED,
	VM_NSTATES
};

/* Why the hypervisor last exited (bhyve exit codes and more). */
enum vm_exit {
	VM_EXIT_NONE,		/* never exited */
	VM_EXIT_REBOOT,		/* bhyve 0 / QEMU guest-reset */
	VM_EXIT_POWEROFF,	/* bhyve 1 / QEMU guest-shutdown */
	VM_EXIT_HALT,		/* bhyve 2 */
	VM_EXIT_TRIPLEFAULT,	/* bhyve 3 */
	VM_EXIT_ERROR,		/* bhyve 4 / QEMU guest-panic */
	VM_EXIT_SIGNAL,		/* killed by a signal */
	VM_EXIT_FORCED,		/* forced power-off by the monitor */
	VM_EXIT_START_FAILED,	/* could not be started */
	VM_EXIT_MONITOR_LOST,	/* the monitor disappeared */
	VM_EXIT_CRASH_LOOP,	/* exited too often, gave up */
	VM_NEXITS
};

/* Outcome of a stop. */
enum vm_stop_outcome {
	VM_STOP_GRACEFUL,
	VM_STOP_FORCED,
	VM_STOP_ALREADY,
	VM_NSTOPS
};

/* Commands; names and argument specs in proto_cmds[]. */
enum proto_cmd {
	CMD_HELLO,
	CMD_LIST,
	CMD_STATUS,
	CMD_START,
	CMD_STOP,
	CMD_POWEROFF,
	CMD_RESET,
	CMD_RESTART,
	CMD_ATTACH_ISO,
	CMD_DETACH_ISO,
	CMD_LIST_ISOS,
	CMD_RELOAD,
	CMD_SUBSCRIBE,
	CMD_CONSOLE,
	CMD_CONSOLE_LOG,
	CMD_SHOW_COMMAND,
	CMD_START_ALL,
	CMD_STOP_ALL,
	CMD_CREATE,
	CMD_DELETE,
	PROTO_NCMDS
};

/* Stable error codes; names in proto_error_names[]. */
enum proto_error {
	ERR_NONE,
	ERR_INVALID_JSON,	/* "invalid-json" */
	ERR_INVALID_UTF8,	/* "invalid-utf8" */
	ERR_LINE_TOO_LONG,	/* "line-too-long" */
	ERR_NOT_OBJECT,		/* "not-an-object" */
	ERR_UNKNOWN_COMMAND,	/* "unknown-command" */
	ERR_MISSING_ARGUMENT,	/* "missing-argument" */
	ERR_BAD_ARGUMENT,	/* "bad-argument" */
	ERR_VERSION,		/* "version-mismatch" */
	ERR_NO_SUCH_VM,		/* "no-such-vm" */
	ERR_PERMISSION,		/* "permission-denied" */
	ERR_BUSY,		/* "busy" */
	ERR_NOT_RUNNING,	/* "not-running" */
	ERR_INVALID_CONFIG,	/* "invalid-config" */
	ERR_FAILED,		/* "failed" */
	ERR_INTERNAL,		/* "internal" */
	PROTO_NERRORS
};

/* Argument types in a command's spec. */
enum proto_arg_type {
	ARG_STRING,
	ARG_VMNAME,	/* string passing vm_name_check() */
	ARG_PATH,	/* absolute path string */
	ARG_INT,	/* integer >= 0 */
	ARG_BOOL
};

struct proto_arg {
	const char		*name;
	enum proto_arg_type	 type;
	int			 required;
};

#define PROTO_MAX_ARGS	16

struct proto_cmd_entry {
	const char		*name;
	enum proto_cmd		 cmd;
	int			 flags;
#define CMD_F_READONLY	0x1	/* allowed for readonly_group */
#define CMD_F_MUTATES	0x2	/* changes VM state; one-VM replies carry
				   "changed" */
#define CMD_F_NEWVM	0x4	/* "name" may name a VM that does not
				   exist yet (create) */
	struct proto_arg	 args[PROTO_MAX_ARGS];
	const char		*help;
};

extern const struct proto_cmd_entry	proto_cmds[PROTO_NCMDS];
extern const char	*const proto_state_names[VM_NSTATES];
extern const char	*const proto_exit_names[VM_NEXITS];
extern const char	*const proto_stop_names[VM_NSTOPS];
extern const char	*const proto_error_names[PROTO_NERRORS];

const struct proto_cmd_entry *proto_cmd_lookup(const char *);
const char	*proto_state_name(enum vm_state);
/* A hypervisor runs (or is being started or stopped) in this state. */
int		 proto_state_live(enum vm_state);
int		 proto_state_from_name(const char *);	/* -1 unknown */
const char	*proto_exit_name(enum vm_exit);
int		 proto_exit_from_name(const char *);
const char	*proto_stop_name(enum vm_stop_outcome);
int		 proto_stop_from_name(const char *);
const char	*proto_error_name(enum proto_error);
int		 proto_error_from_name(const char *);
/* "a VM name", "a boolean" ...: for messages and usage text. */
const char	*proto_arg_type_name(enum proto_arg_type);
/* The argument spec of a command by name, NULL if it takes none such. */
const struct proto_arg *proto_cmd_arg(const struct proto_cmd_entry *,
		    const char *);

/* Field names used on the wire, defined once. */
#define PF_ID		"id"
#define PF_CMD		"cmd"
#define PF_OK		"ok"
#define PF_RESULT	"result"
#define PF_ERROR	"error"
#define PF_CODE		"code"
#define PF_MESSAGE	"message"
#define PF_EVENT	"event"
#define PF_VERSION	"version"
#define PF_NAME		"name"
#define PF_STATE	"state"
#define PF_PID		"pid"
#define PF_VCPUS	"vcpus"
#define PF_MEMORY_MB	"memory_mb"
#define PF_VNC_HOST	"vnc_host"
#define PF_VNC_PORT	"vnc_port"
#define PF_UPTIME_S	"uptime_s"
#define PF_ISO		"iso"
#define PF_LAST_EXIT	"last_exit"
#define PF_LAST_EXIT_TIME "last_exit_time"
#define PF_CONSOLE	"console"
#define PF_WAITING_FOR	"waiting_for"
#define PF_CHANGED	"changed"
#define PF_OUTCOME	"outcome"
#define PF_VM		"vm"
#define PF_VMS		"vms"
#define PF_PROBLEMS	"problems"
#define PF_NOTE		"note"
#define PF_AGENT	"agent"		/* hello: agent version string */
#define PF_DRIVER	"driver"	/* hello: "bhyve" or "qemu" */
#define PF_WAIT		"wait"
#define PF_TIMEOUT	"timeout"
#define PF_PATH		"path"
#define PF_BOOT		"boot"
#define PF_SIZE		"size"
#define PF_DIRS		"dirs"
#define PF_ISOS		"isos"
#define PF_LINES	"lines"
#define PF_ARGV		"argv"
#define PF_ADDED	"added"
#define PF_REMOVED	"removed"
#define PF_STARTED	"started"
#define PF_WAITING	"waiting"
#define PF_FAILED	"failed"
#define PF_RESULTS	"results"
#define PF_DISK_SIZE	"disk_size"	/* create: "20G", "512M", bytes */
#define PF_CPUS		"cpus"
#define PF_SOCKETS	"sockets"
#define PF_CORES	"cores"
#define PF_THREADS	"threads"
#define PF_DISK_DIR	"disk_dir"
#define PF_ZFS_DATASET	"zfs_dataset"
#define PF_RECORDSIZE	"recordsize"
#define PF_MAC		"mac"
#define PF_NIC_BRIDGE	"bridge"	/* create: NIC 0 joins it */
#define PF_FIRMWARE	"firmware"	/* create: the VM file's key */
#define PF_CREATED	"created"	/* create: paths it made */
#define PF_KEPT		"kept"		/* delete: paths left alone */
#define PF_INI_FILE	"file"		/* the VM's NAME.ini */

/* Event names. */
#define PROTO_EV_STATE		"state"		/* {"vm": {...}} */
#define PROTO_EV_ADDED		"vm-added"	/* {"vm": {...}} */
#define PROTO_EV_REMOVED	"vm-removed"	/* {"name": "..."} */

/*
 * The wire view of one VM: what list/status return and events carry.
 * Strings are owned by the struct (proto_vm_info_clear frees them).
 */
struct vm_info {
	char		*name;
	enum vm_state	 state;
	long		 pid;		/* -1: none */
	int		 vcpus;
	int		 memory_mb;
	char		*vnc_host;	/* NULL: no VNC */
	int		 vnc_port;	/* -1: none */
	long long	 uptime_s;	/* -1: not running */
	char		*iso;		/* NULL: none */
	enum vm_exit	 last_exit;
	long long	 last_exit_time;	/* unix time, 0: never */
	int		 console;	/* serial console available */
	char		*waiting_for;	/* missing storage path, or NULL */
};

/* Empty info: no strings, pid/vnc_port/uptime -1, state stopped. */
void	 proto_vm_info_init(struct vm_info *);
json_t	*proto_vm_to_json(const struct vm_info *);	/* new reference */
/* 0, or -1 with *cause (new string) and the info cleared. */
int	 proto_vm_from_json(const json_t *, struct vm_info *, char **);
/* Free the strings and reset to proto_vm_info_init's values. */
void	 proto_vm_info_clear(struct vm_info *);

/*
 * Requests and replies.  proto_request_parse validates one line (UTF-8,
 * JSON, object, known command, argument presence and types, no unknown
 * fields) and returns the request object (new reference) with *cmd set;
 * on failure it returns NULL and sets *err and *message (new string)
 * and *id: a new reference to the request's "id" (any JSON type) when
 * the line parsed as an object holding one, else NULL, so the error
 * reply can echo it.  On success *id is NULL: take the id from the
 * request.  Any of legacy, err, message and id may be NULL when the
 * caller does not want them.
 * A legacy message ({"action": ...} and no "cmd") returns the object and
 * sets *legacy = 1 instead of *cmd (else *legacy = 0).
 * An optional argument given as JSON null counts as absent.
 */
json_t	*proto_request_parse(const char *, size_t, enum proto_cmd *, int *,
	    enum proto_error *, char **, json_t **);
/*
 * Replies echo the id (borrowed; NULL: no "id" in the reply).  A NULL
 * result means {}.  An event's body is an object whose fields are put
 * next to "event" (NULL: none).
 */
json_t	*proto_reply_ok(json_t *, json_t *);	/* steals result */
json_t	*proto_reply_error(json_t *, enum proto_error, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
json_t	*proto_event(const char *, json_t *);	/* steals the body */
/* Serialise to one line with trailing '\n' (new string). */
char	*proto_dump(const json_t *, size_t *);
/*
 * A JSON string that never fails (json_string() returns NULL on invalid
 * UTF-8, e.g. a file name from disk): bytes that are not UTF-8 become
 * '?', NULL gives JSON null.  New reference.
 */
json_t	*proto_json_string(const char *);

/* Is buf[0..len) valid UTF-8 (no overlongs, no surrogates)? */
int	 proto_utf8_valid(const char *, size_t);

/*
 * Line framer: feed bytes as they arrive, take complete lines out.
 * A line longer than max is an error (the connection should close).
 */
struct proto_framer {
	char	*buf;
	size_t	 len;
	size_t	 size;
	size_t	 max;
	size_t	 off;	/* start of the next unread line */
	size_t	 lstart;	/* start of the incomplete last line */
	int	 error;		/* a line exceeded max */
};

/* max 0 means PROTO_LINE_MAX. */
void	 proto_framer_init(struct proto_framer *, size_t);
void	 proto_framer_free(struct proto_framer *);
/*
 * 0, or -1 when a line exceeds max: the bytes from that line on are
 * dropped at once (never buffered); lines completed before it can still
 * be taken with proto_framer_next.
 */
int	 proto_framer_feed(struct proto_framer *, const char *, size_t);
/*
 * Next complete line without its '\n' (and '\r'): 1 and *line, *len set
 * (NUL-terminated, valid until the next feed), 0 when no complete line,
 * -1 when no complete line is left and a line exceeded max.
 */
int	 proto_framer_next(struct proto_framer *, const char **, size_t *);
/* Bytes still buffered (an incomplete line). */
size_t	 proto_framer_pending(const struct proto_framer *);
/* Drop everything buffered (e.g. once the pending bytes went raw). */
void	 proto_framer_reset(struct proto_framer *);

/*
 * Legacy protocol of the Python Anlasser.  The agent answers
 * {"action":"list_vms"}, {"action":"get_vm_state","vm_name":N} and
 * {"action":"set_vm_state","vm_name":N,"vm_target_state":"up"|"down"}.
 */
#define LEGACY_LIST_VMS		"list_vms"
#define LEGACY_GET_VM_STATE	"get_vm_state"
#define LEGACY_SET_VM_STATE	"set_vm_state"
enum legacy_action {
	LEGACY_LIST,
	LEGACY_GET,
	LEGACY_SET_UP,
	LEGACY_SET_DOWN
};
/* error_type and error_text values, as the Python Anlasser sent them. */
#define LEGACY_E_MALFORMED	"client_message_malformed"
#define LEGACY_E_NOT_FOUND	"vm_not_found"		/* ours */
#define LEGACY_E_START_FAILED	"start_failed"		/* ours */
#define LEGACY_E_PERMISSION	"permission_denied"	/* ours */
#define LEGACY_T_ACTION_UNKNOWN	"requested_action_unknown"
#define LEGACY_T_MISSING_KEY	"missing_mandatory_key"
#define LEGACY_T_STATE_UNKNOWN	"target_vm_state_unknown"
#define LEGACY_T_NAME_INVALID	"vm_name_invalid"	/* ours */
/*
 * Parse a legacy request: 0 with *action and *name (borrowed, NULL for
 * list_vms, else a valid VM name) or -1 and a legacy failure reply in
 * *reply (new reference).
 */
int	 proto_legacy_parse(const json_t *, enum legacy_action *,
	    const char **, json_t **);
/* {"result":"failure","error_type":T,"error_text":X,"error_extra_data":E} */
json_t	*proto_legacy_failure(const char *, const char *);
json_t	*proto_legacy_failure_extra(const char *, const char *, const char *,
	    ...) __attribute__((format(printf, 3, 4)));
json_t	*proto_legacy_success(void);	/* {"result":"success"} */
/* {"vm_name": N, "vm_controller_pid": P}, an entry of vm_list. */
json_t	*proto_legacy_vm_entry(const char *, long);
/* {"result":"success","vm_list":[...]}; steals the array. */
json_t	*proto_legacy_list_reply(json_t *);
/* {"result":"success","vm_state":"vm_up","vm_pid":P} or "vm_down". */
json_t	*proto_legacy_state_reply(int, long);

#endif
