/*
 * VM and agent configuration: one INI file per VM (NAME.ini, section [VM])
 * and anlasser.conf (section [agent]) in the config directory.
 *
 * Every key is defined once, in the tables in conf.c (conf_vm_keys[],
 * conf_agent_keys[]): name, type, default, range and help text.  Loading,
 * validation, `anlasser-agent --check` and the man page all follow from
 * them; tests/unit/test-conf checks the man page against the tables.
 */
#ifndef CONF_H
#define CONF_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdio.h>

#define CONF_DIR_DEFAULT	"/usr/local/etc/anlasser"
#define CONF_AGENT_FILE		"anlasser.conf"
#define CONF_VM_SECTION		"vm"
#define CONF_AGENT_SECTION	"agent"

#define VM_NAME_MAX		31	/* bhyve: VM_MAX_NAMELEN 32 */
#define VM_MAX_DISKS		8	/* storage_path + disk1..disk7 */
#define VM_MAX_NICS		8	/* tapdev/bridge/mac + nic1_*..nic7_* */

enum conf_type {
	CONF_STRING,	/* any non-empty string; length min..max if max > 0 */
	CONF_PATH,	/* absolute path */
	CONF_INT,	/* decimal integer in [min, max] */
	CONF_BOOL,	/* y/yes/true/on/1, n/no/false/off/0 */
	CONF_MAC,	/* xx:xx:xx:xx:xx:xx, unicast */
	CONF_IFNAME,	/* interface name, 1-15 of [A-Za-z0-9_.-] */
	CONF_ENUM,	/* one of a '|' separated list (in .range) */
	CONF_PORTRANGE,	/* LOW-HIGH */
	CONF_PATHLIST,	/* colon-separated absolute paths */
	CONF_RESOLUTION, /* WIDTHxHEIGHT, .range "640x480-1920x1200" */
	CONF_ADDR,	/* numeric IPv4 or IPv6 address */
	CONF_VMNAME,	/* vm_name_check() */
	CONF_FILENAME,	/* a file name without '/' */
	CONF_GROUP	/* group name, 1-32 of [A-Za-z0-9_.-], not '-' first */
};

/* One key: the single definition validation and docs come from. */
struct conf_key {
	const char	*name;	/* "disk%d" for indexed keys: disk1..disk7 */
	enum conf_type	 type;
	const char	*def;	/* default as text; NULL: none / required */
	long long	 min, max;	/* CONF_INT range */
	const char	*range;	/* CONF_ENUM choices, "a|b" */
	int		 flags;
#define CONF_F_REQUIRED	0x1
#define CONF_F_INDEXED	0x2	/* name has %d, index 1..nindex */
#define CONF_F_LEGACY	0x4	/* key of the original Python Anlasser */
#define CONF_F_SECRET	0x8	/* never show the value in messages */
#define CONF_F_UEFI	0x10	/* only for firmware = uefi: required then */
	const char	*help;	/* one line for --check and the man page */
	const char	*unit;	/* CONF_INT: "MiB", "seconds" ... or NULL */
	int		 nindex; /* CONF_F_INDEXED: index 1..nindex */
	/*
	 * Where the value goes: byte offset into struct vm_conf or struct
	 * agent_conf (char * for text types, int for CONF_INT/CONF_BOOL;
	 * CONF_RESOLUTION and CONF_PORTRANGE store two ints, at off and
	 * off2).  Indexed keys: off is index 0, each index adds stride.
	 */
	size_t		 off, off2, stride;
};

extern const struct conf_key	conf_vm_keys[];
extern const unsigned int	conf_vm_nkeys;
extern const struct conf_key	conf_agent_keys[];
extern const unsigned int	conf_agent_nkeys;

struct vm_nic {
	char	*tapdev;	/* NULL: the agent allocates */
	char	*bridge;	/* NULL: not bridged */
	char	*mac;		/* NULL: the agent allocates */
};

struct vm_conf {
	char		*name;
	char		*file;		/* path of NAME.ini */
	int		 memory_mb;
	int		 cpu_sockets;
	int		 cpu_cores;
	int		 cpu_threads;
	char		*disks[VM_MAX_DISKS];	/* [0] = storage_path */
	int		 ndisks;
	int		 disk_sector_size;	/* 512 or 4096 */
	char		*firmware;	/* "uefi" or "bios" */
	char		*uefi_vars;	/* uefi_vars_storage_path; NULL: bios */
	struct vm_nic	 nics[VM_MAX_NICS];	/* [0] = tapdev/bridge/mac */
	int		 nnics;
	char		*vnc_kbd_layout;
	int		 vnc_port;	/* -1: the agent allocates */
	char		*vnc_bind;
	int		 vnc_width;
	int		 vnc_height;
	char		*vnc_password;
	int		 vnc_wait_connect;
	int		 vnc;		/* VNC/framebuffer on (default yes) */
	char		*iso_path;	/* NULL: none */
	int		 console;	/* serial console on com1 */
	int		 shutdown_timeout;
	int		 autostart;
	int		 autostart_order;
	int		 autostart_delay;
	int		 restart_on_crash;

	TAILQ_ENTRY(vm_conf) entry;
};
TAILQ_HEAD(vm_conf_list, vm_conf);

struct agent_conf {
	char	*driver;		/* "bhyve" or "qemu" */
	char	*bhyve;
	char	*bhyvectl;
	char	*ifconfig;
	char	*zfs;			/* zfs(8), for create */
	char	*vm_dir;		/* create's disk directory, or NULL */
	char	*qemu;
	char	*qemu_accel;		/* auto, kvm or tcg */
	char	*uefi_firmware;
	char	*uefi_vars_template;
	char	*bios_firmware;		/* for VMs with firmware = bios */
	char	*iso_dirs;		/* colon separated; "": none */
	int	 vnc_port_min;
	int	 vnc_port_max;
	char	*socket_group;		/* NULL: none */
	char	*readonly_group;	/* NULL: none */
	char	*log_dir;		/* console logs */
	int	 console_log_max_kb;	/* rotate above this */
	int	 console_log_keep;	/* rotated files kept */
};

/* One problem found while loading: file:line: key: message. */
struct conf_problem {
	char	*file;
	int	 line;		/* 0: not tied to a line */
	char	*key;		/* NULL: not tied to a key */
	char	*msg;
	TAILQ_ENTRY(conf_problem) entry;
};
TAILQ_HEAD(conf_problems, conf_problem);

/* A whole loaded config directory. */
struct conf {
	char			*dir;
	struct agent_conf	 agent;
	struct vm_conf_list	 vms;
	int			 nvms;
};

/*
 * Load and validate the whole directory: anlasser.conf (optional) and every
 * *.ini, then the cross-VM checks (duplicate MAC, storage path, vars path,
 * VNC port, tap).  Returns a new struct conf, or NULL when any problem was
 * found; every problem is appended to *problems in file order.
 */
struct conf	*conf_load_dir(const char *, struct conf_problems *);
void		 conf_free(struct conf *);

/* Load one VM file (no cross-VM checks). NULL on problems. */
struct vm_conf	*conf_load_vm(const char *, const struct agent_conf *,
		     struct conf_problems *);
void		 vm_conf_free(struct vm_conf *);
struct vm_conf	*vm_conf_find(struct conf *, const char *);
int		 vm_conf_vcpus(const struct vm_conf *);
/* Does the VM boot a legacy BIOS (firmware = bios)? */
int		 vm_conf_bios(const struct vm_conf *);
/* The same for a value of the firmware key (NULL: the default, UEFI). */
int		 conf_firmware_bios(const char *);

/*
 * One key of the VM file on its own, for requests whose fields become
 * keys (create's firmware): the table entry of a plain key (NULL when
 * there is none), what it allows ("uefi or bios", new string), and a
 * value checked as the loader checks it: NULL when valid, else a new
 * string such as "efi is not allowed (uefi or bios)".
 */
const struct conf_key *conf_vm_key(const char *);
char		*conf_key_allowed(const struct conf_key *);
char		*conf_key_check(const struct conf_key *, const char *);

/* Fill agent defaults (driver by OS, tool paths, firmware ...). */
void		 agent_conf_defaults(struct agent_conf *);
void		 agent_conf_clear(struct agent_conf *);

void		 conf_problems_init(struct conf_problems *);
void		 conf_problems_clear(struct conf_problems *);
void		 conf_problem_add(struct conf_problems *, const char *, int,
		     const char *, const char *, ...)
		     __attribute__((format(printf, 5, 6)));
int		 conf_problems_count(const struct conf_problems *);
/* "file:line: key: msg" (new string). */
char		*conf_problem_format(const struct conf_problem *);

/*
 * VM names: 1 to 31 of [A-Za-z0-9_-], starting with a letter or digit.
 * The one rule, used by config, protocol and TUI.  Returns NULL when valid,
 * else a static string saying what is wrong.
 */
const char	*vm_name_check(const char *);

/*
 * Set (value != NULL) or remove (value == NULL) one key of the [VM]
 * section of an INI file, keeping every other line, comment and the
 * layout; a commented-out "# key = ..." line is replaced in place when
 * the key is absent.  Written atomically (temp file in the same
 * directory, fsync, rename), preserving the mode.  0 or -1 with *cause.
 */
int		 conf_ini_set(const char *, const char *, const char *,
		     char **);

/*
 * `anlasser-agent --check -c DIR`: load DIR and print every problem, one
 * per line, to out; when there is none print "DIR: N VMs, no problems".
 * Returns 0 when clean, 1 when there were problems.
 */
int		 conf_check(const char *, FILE *);

#endif
