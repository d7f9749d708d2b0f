/*
 * VM and agent configuration: the key tables (the one definition of every
 * key), the problem list, and loading one VM file or anlasser.conf from
 * its scanned text.  Values are parsed in conf-value.c, whole directories
 * and the cross-VM checks are in conf-dir.c, the INI text in conf-ini.c.
 *
 * Problems are collected, never fatal: a file is checked to the end so
 * that the user sees every problem at once, as "file:line: key: what is
 * wrong (what is allowed)".
 */
#include "config.h"

#include <sys/types.h>

#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "conf.h"
#include "conf-priv.h"
#include "log.h"
#include "xmalloc.h"

#define VMOFF(f)	offsetof(struct vm_conf, f)
#define NICOFF(f)	(offsetof(struct vm_conf, nics) + \
			    offsetof(struct vm_nic, f))
#define AGOFF(f)	offsetof(struct agent_conf, f)
#define NICSTRIDE	sizeof(struct vm_nic)

#define VM_VCPUS_MAX	255

#ifdef __FreeBSD__
#define QEMU_DEFAULT	"/usr/local/bin/qemu-system-x86_64"
#else
#define QEMU_DEFAULT	"/usr/bin/qemu-system-x86_64"
#endif

#ifdef __FreeBSD__
#define ZFS_DEFAULT	"/sbin/zfs"
#else
#define ZFS_DEFAULT	"/usr/sbin/zfs"
#endif

const struct conf_key conf_vm_keys[] = {
	{ .name = "name", .type = CONF_VMNAME,
	  .flags = CONF_F_REQUIRED | CONF_F_LEGACY, .off = VMOFF(name),
	  .help = "the VM's name; the file is called NAME.ini" },
	{ .name = "memory_mb", .type = CONF_INT, .def = "1024",
	  .min = 16, .max = 1048576, .unit = "MiB", .flags = CONF_F_LEGACY,
	  .off = VMOFF(memory_mb), .help = "guest memory in MiB" },
	{ .name = "cpu_sockets", .type = CONF_INT, .def = "1",
	  .min = 1, .max = 32, .flags = CONF_F_LEGACY,
	  .off = VMOFF(cpu_sockets), .help = "CPU sockets" },
	{ .name = "cpu_cores", .type = CONF_INT, .def = "1",
	  .min = 1, .max = 32, .flags = CONF_F_LEGACY,
	  .off = VMOFF(cpu_cores), .help = "cores per socket" },
	{ .name = "cpu_threads", .type = CONF_INT, .def = "1",
	  .min = 1, .max = 32, .flags = CONF_F_LEGACY,
	  .off = VMOFF(cpu_threads), .help = "threads per core" },
	{ .name = "storage_path", .type = CONF_PATH,
	  .flags = CONF_F_REQUIRED | CONF_F_LEGACY, .off = VMOFF(disks),
	  .help = "disk 0: image file, zvol or disk device" },
	{ .name = "disk%d", .type = CONF_PATH, .flags = CONF_F_INDEXED,
	  .nindex = VM_MAX_DISKS - 1, .off = VMOFF(disks),
	  .stride = sizeof(char *),
	  .help = "more disks, numbered without gaps" },
	{ .name = "disk_sector_size", .type = CONF_INT, .def = "4096",
	  .min = 512, .max = 4096, .range = "512|4096", .unit = "bytes",
	  .off = VMOFF(disk_sector_size),
	  .help = "logical sector size the guest sees on every disk" },
	{ .name = "firmware", .type = CONF_ENUM, .def = "uefi",
	  .range = "uefi|bios", .off = VMOFF(firmware),
	  .help = "boot firmware: uefi, or bios for legacy BIOS guests" },
	{ .name = "uefi_vars_storage_path", .type = CONF_PATH,
	  .flags = CONF_F_REQUIRED | CONF_F_LEGACY | CONF_F_UEFI,
	  .off = VMOFF(uefi_vars),
	  .help = "this VM's own copy of the UEFI variables file" },
	{ .name = "iso_path", .type = CONF_PATH, .flags = CONF_F_LEGACY,
	  .off = VMOFF(iso_path),
	  .help = "CD/DVD image attached as a CD drive" },
	{ .name = "tapdev", .type = CONF_IFNAME, .flags = CONF_F_LEGACY,
	  .off = NICOFF(tapdev),
	  .help = "tap interface of NIC 0; absent: the agent creates one" },
	{ .name = "bridge", .type = CONF_IFNAME, .flags = CONF_F_LEGACY,
	  .off = NICOFF(bridge),
	  .help = "bridge that NIC 0's tap interface joins" },
	{ .name = "mac", .type = CONF_MAC, .flags = CONF_F_LEGACY,
	  .off = NICOFF(mac),
	  .help = "MAC address of NIC 0; absent: the agent picks one" },
	{ .name = "nic%d_tapdev", .type = CONF_IFNAME, .flags = CONF_F_INDEXED,
	  .nindex = VM_MAX_NICS - 1, .off = NICOFF(tapdev),
	  .stride = NICSTRIDE, .help = "tap interface of NIC N" },
	{ .name = "nic%d_bridge", .type = CONF_IFNAME, .flags = CONF_F_INDEXED,
	  .nindex = VM_MAX_NICS - 1, .off = NICOFF(bridge),
	  .stride = NICSTRIDE, .help = "bridge of NIC N" },
	{ .name = "nic%d_mac", .type = CONF_MAC, .flags = CONF_F_INDEXED,
	  .nindex = VM_MAX_NICS - 1, .off = NICOFF(mac),
	  .stride = NICSTRIDE, .help = "MAC address of NIC N" },
	{ .name = "vnc", .type = CONF_BOOL, .def = "yes", .off = VMOFF(vnc),
	  .help = "graphical console: framebuffer with a VNC server" },
	{ .name = "vnc_port", .type = CONF_INT, .min = 1024, .max = 65535,
	  .flags = CONF_F_LEGACY, .off = VMOFF(vnc_port),
	  .help = "VNC TCP port; absent: the agent picks one of vnc_ports" },
	{ .name = "vnc_bind", .type = CONF_ADDR, .def = "127.0.0.1",
	  .off = VMOFF(vnc_bind),
	  .help = "address the VNC server listens on" },
	{ .name = "vnc_resolution", .type = CONF_RESOLUTION, .def = "1600x900",
	  .range = "640x480-1920x1200", .off = VMOFF(vnc_width),
	  .off2 = VMOFF(vnc_height),
	  .help = "framebuffer size (bhyve 14 limits)" },
	{ .name = "vnc_password", .type = CONF_STRING, .min = 1, .max = 8,
	  .range = "bhyve uses only the first 8", .flags = CONF_F_SECRET,
	  .off = VMOFF(vnc_password),
	  .help = "VNC password; absent: no password" },
	{ .name = "vnc_wait_connect", .type = CONF_BOOL, .def = "no",
	  .flags = CONF_F_LEGACY, .off = VMOFF(vnc_wait_connect),
	  .help = "hold the guest until a VNC client connects" },
	{ .name = "vnc_kbd_layout", .type = CONF_FILENAME,
	  .flags = CONF_F_LEGACY, .off = VMOFF(vnc_kbd_layout),
	  .help = "bhyve keyboard layout in /usr/share/bhyve/kbdlayout" },
	{ .name = "console", .type = CONF_BOOL, .def = "yes",
	  .off = VMOFF(console), .help = "serial console on com1" },
	{ .name = "shutdown_timeout", .type = CONF_INT, .def = "300",
	  .min = 1, .max = 86400, .unit = "seconds",
	  .off = VMOFF(shutdown_timeout),
	  .help = "wait this long for an ACPI shutdown, then power off" },
	{ .name = "restart_on_crash", .type = CONF_BOOL, .def = "no",
	  .off = VMOFF(restart_on_crash),
	  .help = "start the VM again when it crashes" },
	{ .name = "autostart", .type = CONF_BOOL, .def = "no",
	  .off = VMOFF(autostart), .help = "start the VM with the agent" },
	{ .name = "autostart_order", .type = CONF_INT, .def = "100",
	  .min = 0, .max = 9999, .off = VMOFF(autostart_order),
	  .help = "autostart order: lower numbers start first" },
	{ .name = "autostart_delay", .type = CONF_INT, .def = "0",
	  .min = 0, .max = 3600, .unit = "seconds",
	  .off = VMOFF(autostart_delay),
	  .help = "pause after starting this VM before the next one" },
};
const unsigned int conf_vm_nkeys = nitems(conf_vm_keys);

const struct conf_key conf_agent_keys[] = {
	{ .name = "driver", .type = CONF_ENUM, .def = DEFAULT_DRIVER,
	  .range = "bhyve|qemu", .off = AGOFF(driver),
	  .help = "hypervisor: bhyve (FreeBSD) or qemu (Linux, testing)" },
	{ .name = "bhyve", .type = CONF_PATH, .def = "/usr/sbin/bhyve",
	  .off = AGOFF(bhyve), .help = "bhyve(8) program" },
	{ .name = "bhyvectl", .type = CONF_PATH, .def = "/usr/sbin/bhyvectl",
	  .off = AGOFF(bhyvectl), .help = "bhyvectl(8) program" },
	{ .name = "ifconfig", .type = CONF_PATH, .def = "/sbin/ifconfig",
	  .off = AGOFF(ifconfig), .help = "ifconfig(8) program" },
	{ .name = "zfs", .type = CONF_PATH, .def = ZFS_DEFAULT,
	  .off = AGOFF(zfs), .help = "zfs(8) program, for create with a "
	  "dataset" },
	{ .name = "vm_dir", .type = CONF_PATH, .off = AGOFF(vm_dir),
	  .help = "where create puts VM disks (DIR/NAME/) when not told; "
	  "absent: create needs a disk directory or a dataset" },
	{ .name = "qemu", .type = CONF_PATH, .def = QEMU_DEFAULT,
	  .off = AGOFF(qemu), .help = "QEMU program" },
	{ .name = "qemu_accel", .type = CONF_ENUM, .def = "auto",
	  .range = "auto|kvm|tcg", .off = AGOFF(qemu_accel),
	  .help = "QEMU accelerator; auto: kvm when /dev/kvm is usable" },
	{ .name = "uefi_firmware", .type = CONF_PATH,
	  .off = AGOFF(uefi_firmware),
	  .help = "UEFI firmware code; default depends on the driver" },
	{ .name = "uefi_vars_template", .type = CONF_PATH,
	  .off = AGOFF(uefi_vars_template),
	  .help = "empty UEFI variables file; default depends on the driver" },
	{ .name = "bios_firmware", .type = CONF_PATH,
	  .off = AGOFF(bios_firmware),
	  .help = "BIOS ROM for VMs with firmware = bios; default depends on "
	  "the driver" },
	{ .name = "iso_dirs", .type = CONF_PATHLIST, .off = AGOFF(iso_dirs),
	  .help = "directories clients may attach ISO images from" },
	{ .name = "vnc_ports", .type = CONF_PORTRANGE, .def = "5900-5999",
	  .off = AGOFF(vnc_port_min), .off2 = AGOFF(vnc_port_max),
	  .help = "ports for VMs without vnc_port" },
	{ .name = "socket_group", .type = CONF_GROUP,
	  .off = AGOFF(socket_group),
	  .help = "group that may use every command on the socket" },
	{ .name = "readonly_group", .type = CONF_GROUP,
	  .off = AGOFF(readonly_group),
	  .help = "group that may only list and watch" },
	{ .name = "log_dir", .type = CONF_PATH, .def = "/var/log/anlasser",
	  .off = AGOFF(log_dir), .help = "directory of the console logs" },
	{ .name = "console_log_max_kb", .type = CONF_INT, .def = "1024",
	  .min = 16, .max = 1048576, .unit = "KiB",
	  .off = AGOFF(console_log_max_kb),
	  .help = "rotate a console log above this size" },
	{ .name = "console_log_keep", .type = CONF_INT, .def = "5",
	  .min = 0, .max = 100, .off = AGOFF(console_log_keep),
	  .help = "rotated console logs kept per VM" },
};
const unsigned int conf_agent_nkeys = nitems(conf_agent_keys);

/*
 * Firmware defaults follow the effective driver: the keys of
 * conf_firmware_keys[], in that order.  bhyve boots BIOS guests only
 * through the CSM build of its UEFI firmware (uefi-edk2-bhyve-csm);
 * QEMU's SeaBIOS is Debian's seabios, a dependency of qemu-system-x86.
 */
static const char *conf_firmware_keys[] = { "uefi_firmware",
	"uefi_vars_template", "bios_firmware" };
static const struct {
	const char	*driver, *path[3];
} conf_firmware[] = {
	{ "bhyve", { "/usr/local/share/uefi-firmware/BHYVE_UEFI_CODE.fd",
	  "/usr/local/share/uefi-firmware/BHYVE_UEFI_VARS.fd",
	  "/usr/local/share/uefi-firmware/BHYVE_UEFI_CSM.fd" } },
	{ "qemu", { "/usr/share/OVMF/OVMF_CODE_4M.fd",
	  "/usr/share/OVMF/OVMF_VARS_4M.fd",
	  "/usr/share/seabios/bios-256k.bin" } },
};

/* ------------------------------------------------------------------ */
/* Problems.                                                           */

void
conf_problems_init(struct conf_problems *ps)
{
	TAILQ_INIT(ps);
}

void
conf_problems_clear(struct conf_problems *ps)
{
	struct conf_problem	*p;

	while ((p = TAILQ_FIRST(ps)) != NULL) {
		TAILQ_REMOVE(ps, p, entry);
		free(p->file);
		free(p->key);
		free(p->msg);
		free(p);
	}
}

void
conf_problem_add(struct conf_problems *ps, const char *file, int line,
    const char *key, const char *fmt, ...)
{
	struct conf_problem	*p;
	va_list			 ap;

	p = xcalloc(1, sizeof *p);
	p->file = file != NULL ? xstrdup(file) : NULL;
	p->line = line;
	p->key = key != NULL ? xstrdup(key) : NULL;
	va_start(ap, fmt);
	if (vasprintf(&p->msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	TAILQ_INSERT_TAIL(ps, p, entry);
}

int
conf_problems_count(const struct conf_problems *ps)
{
	const struct conf_problem	*p;
	int				 n = 0;

	TAILQ_FOREACH(p, ps, entry)
		n++;
	return (n);
}

char *
conf_problem_format(const struct conf_problem *p)
{
	char	*s, where[64] = "";

	if (p->line > 0)
		snprintf(where, sizeof where, ":%d", p->line);
	xasprintf(&s, "%s%s%s%s%s%s", p->file != NULL ? p->file : "",
	    where, p->file != NULL ? ": " : "", p->key != NULL ? p->key : "",
	    p->key != NULL ? ": " : "", p->msg);
	return (s);
}

static int
conf_problem_cmp(const void *a, const void *b)
{
	const struct conf_problem	*x = *(struct conf_problem *const *)a;
	const struct conf_problem	*y = *(struct conf_problem *const *)b;
	unsigned int			 lx, ly;

	/* By line; problems of the whole file (line 0) last. */
	lx = x->line > 0 ? (unsigned int)x->line : ~0U;
	ly = y->line > 0 ? (unsigned int)y->line : ~0U;
	if (lx != ly)
		return (lx < ly ? -1 : 1);
	return (0);
}

/* Move the problems of from to the end of to, in line order (stable). */
void
conf_problems_move_sorted(struct conf_problems *to, struct conf_problems *from)
{
	struct conf_problem	**v, *p;
	unsigned int		  n = 0, i, j;

	TAILQ_FOREACH(p, from, entry)
		n++;
	if (n == 0)
		return;
	v = xreallocarray(NULL, n, sizeof *v);
	n = 0;
	while ((p = TAILQ_FIRST(from)) != NULL) {
		TAILQ_REMOVE(from, p, entry);
		v[n++] = p;
	}
	/* Insertion sort: stable, and files have few problems. */
	for (i = 1; i < n; i++) {
		p = v[i];
		for (j = i; j > 0 && conf_problem_cmp(&v[j - 1], &p) > 0; j--)
			v[j] = v[j - 1];
		v[j] = p;
	}
	for (i = 0; i < n; i++)
		TAILQ_INSERT_TAIL(to, v[i], entry);
	free(v);
}

/* ------------------------------------------------------------------ */
/* Loading one file.                                                   */

/*
 * Check the sections of a file and set every key of section sec into
 * base.  given[] (nkeys * 8) records which keys (and indexes) were set.
 * Returns 0, or -1 when the file has no such section.
 */
static int
conf_apply(struct conf_ini *ini, const char *sec, const char *secname,
    const struct conf_key *keys, unsigned int nkeys, void *base,
    unsigned char *given, struct conf_problems *ps)
{
	const struct conf_key	*k;
	struct conf_ini_entry	*e;
	struct conf_val		 v;
	unsigned int		 i;
	int			 idx, have = 0, vmfile;
	char			*why, *q;

	vmfile = strcmp(sec, CONF_VM_SECTION) == 0;
	for (i = 0; i < ini->nsections; i++) {
		if (strcmp(ini->sections[i].name, sec) == 0)
			have = 1;
		else {
			q = conf_ini_quote(ini->sections[i].raw);
			conf_problem_add(ps, ini->file, ini->sections[i].line,
			    NULL, "[%s]: unknown section (%s has only [%s])",
			    q, vmfile ? "a VM file" : "anlasser.conf",
			    secname);
			free(q);
		}
	}
	if (!have && (vmfile || ini->nentries > 0))
		conf_problem_add(ps, ini->file, 0, NULL,
		    "no [%s] section (%s)", secname, vmfile ?
		    "a VM file starts with a line [VM]" :
		    "put [agent] above the keys");
	for (i = 0; i < ini->nentries; i++) {
		e = &ini->entries[i];
		if (*e->section == '\0' && have) {
			q = conf_ini_quote(e->key);
			conf_problem_add(ps, ini->file, e->line, q,
			    "outside any section (put it below [%s])",
			    secname);
			free(q);
			continue;
		}
		if (strcmp(e->section, sec) != 0)
			continue;
		if ((k = conf_find_key(keys, nkeys, e->key, &idx,
		    NULL)) == NULL) {
			conf_unknown_key(ps, ini->file, e->line, e->key,
			    vmfile);
			continue;
		}
		given[(k - keys) * 8 + idx] = 1;
		if ((why = conf_parse(k, e->value, &v)) != NULL) {
			conf_problem_add(ps, ini->file, e->line, e->key, "%s",
			    why);
			free(why);
			continue;
		}
		conf_store(k, idx, base, &v);
	}
	for (i = 0; i < nkeys; i++) {
		/* Keys of UEFI only: conf_vm_checks, which knows firmware. */
		if (have && (keys[i].flags & CONF_F_REQUIRED) &&
		    !(keys[i].flags & CONF_F_UEFI) && !given[i * 8])
			conf_problem_add(ps, ini->file, 0, keys[i].name,
			    "missing (required: %s)", keys[i].help);
	}
	return (have ? 0 : -1);
}

/* The key name for fmt ("disk%d" or a plain key) and idx; its line. */
int
conf_vm_keyline(struct conf_ini *ini, const char *fmt, int idx, char *key,
    size_t size)
{
	const char	*pct = strstr(fmt, "%d");

	if (pct != NULL)
		snprintf(key, size, "%.*s%d%s", (int)(pct - fmt), fmt, idx,
		    pct + 2);
	else
		strlcpy(key, fmt, size);
	return (conf_ini_line(ini, CONF_VM_SECTION, key));
}

/* Is key fmt/idx in the file (valid or not)? */
static int
conf_vm_has(struct conf_ini *ini, const char *fmt, int idx)
{
	char	key[64];

	return (conf_vm_keyline(ini, fmt, idx, key, sizeof key) != 0);
}

/*
 * Disks are storage_path, disk1, disk2 ... without gaps.  Gaps are judged
 * by the keys in the file: an invalid value is reported once, as such.
 */
static void
conf_vm_disks(struct conf_ini *ini, struct vm_conf *vm,
    struct conf_problems *ps)
{
	char	key[64];
	int	i, line;

	for (i = 2; i < VM_MAX_DISKS; i++) {
		line = conf_vm_keyline(ini, "disk%d", i, key, sizeof key);
		if (line != 0 && !conf_vm_has(ini, "disk%d", i - 1))
			conf_problem_add(ps, ini->file, line, key,
			    "disk%d is not set (number disks without gaps)",
			    i - 1);
	}
	for (vm->ndisks = 0; vm->ndisks < VM_MAX_DISKS; vm->ndisks++) {
		if (vm->disks[vm->ndisks] == NULL)
			break;
	}
}

/* Does NIC idx have a bridge or tap interface in the file? */
static int
conf_vm_has_nic(struct conf_ini *ini, int idx, char *key, size_t size)
{
	if (conf_vm_keyline(ini, idx == 0 ? "bridge" : "nic%d_bridge", idx,
	    key, size) != 0)
		return (1);
	return (conf_vm_keyline(ini, idx == 0 ? "tapdev" : "nic%d_tapdev",
	    idx, key, size) != 0);
}

/*
 * NIC N exists when its bridge or tapdev is set; NIC 0 is tapdev, bridge
 * and mac, NIC N nicN_tapdev ...; numbered without gaps.
 */
static void
conf_vm_nics(struct conf_ini *ini, struct vm_conf *vm,
    struct conf_problems *ps)
{
	char	key[64], mac[64];
	int	i, line, has, prev = 1;

	for (i = 0; i < VM_MAX_NICS; i++) {
		has = conf_vm_has_nic(ini, i, key, sizeof key);
		line = conf_vm_keyline(ini, i == 0 ? "mac" : "nic%d_mac", i,
		    mac, sizeof mac);
		if (!has && line != 0) {
			if (i == 0)
				conf_problem_add(ps, ini->file, line, mac,
				    "set without bridge or tapdev (NIC 0 "
				    "exists when bridge or tapdev is set)");
			else
				conf_problem_add(ps, ini->file, line, mac,
				    "set without nic%d_bridge or nic%d_tapdev "
				    "(NIC %d exists when one of them is set)",
				    i, i, i);
		}
		if (has && !prev) {
			if (i == 1)
				conf_problem_add(ps, ini->file,
				    conf_ini_line(ini, CONF_VM_SECTION, key),
				    key, "NIC 0 is not set (number NICs "
				    "without gaps; NIC 0 is bridge, tapdev and "
				    "mac)");
			else
				conf_problem_add(ps, ini->file,
				    conf_ini_line(ini, CONF_VM_SECTION, key),
				    key, "NIC %d is not set (number NICs "
				    "without gaps)", i - 1);
		}
		prev = has;
	}
	for (vm->nnics = 0; vm->nnics < VM_MAX_NICS; vm->nnics++) {
		if (vm->nics[vm->nnics].tapdev == NULL &&
		    vm->nics[vm->nnics].bridge == NULL)
			break;
	}
}

/*
 * The keys for UEFI only: required with firmware = uefi; with bios they
 * are not used (NULL), so that nothing copies, checks or shows them.
 */
static void
conf_vm_firmware(struct conf_ini *ini, struct vm_conf *vm,
    struct conf_problems *ps)
{
	const struct conf_key	*k;
	char			**sp;
	unsigned int		 i;

	for (i = 0; i < conf_vm_nkeys; i++) {
		k = &conf_vm_keys[i];
		if (!(k->flags & CONF_F_UEFI))
			continue;
		sp = (char **)((char *)vm + k->off);
		if (vm_conf_bios(vm)) {
			free(*sp);
			*sp = NULL;
		} else if ((k->flags & CONF_F_REQUIRED) &&
		    !conf_vm_has(ini, k->name, 0))
			conf_problem_add(ps, ini->file, 0, k->name,
			    "missing (required: %s; not needed with "
			    "firmware = bios)", k->help);
	}
}

/* The checks that involve more than one key of a VM. */
static void
conf_vm_checks(struct conf_ini *ini, const char *base, struct vm_conf *vm,
    struct conf_problems *ps)
{
	static const char	*cpu[] = { "cpu_sockets", "cpu_cores",
				    "cpu_threads" };
	char			*want, *stem;
	unsigned int		 i;
	int			 line = 0;
	long long		 n;

	conf_vm_firmware(ini, vm, ps);
	if (vm->name != NULL) {
		xasprintf(&want, "%s.ini", vm->name);
		if (strcmp(base, want) != 0) {
			stem = conf_ini_quote(base);
			stem[strcspn(stem, ".")] = '\0';
			conf_problem_add(ps, ini->file,
			    conf_ini_line(ini, CONF_VM_SECTION, "name"), "name",
			    "%s does not match the file name (rename the file "
			    "to %s or set name = %s)", vm->name, want, stem);
			free(stem);
		}
		free(want);
	}
	n = (long long)vm->cpu_sockets * vm->cpu_cores * vm->cpu_threads;
	if (n > VM_VCPUS_MAX) {
		for (i = 0; i < nitems(cpu) && line == 0; i++)
			line = conf_ini_line(ini, CONF_VM_SECTION, cpu[i]);
		conf_problem_add(ps, ini->file, line, cpu[line ? i - 1 : 0],
		    "%d sockets x %d cores x %d threads = %lld vCPUs, too "
		    "many (at most %d)", vm->cpu_sockets, vm->cpu_cores,
		    vm->cpu_threads, n, VM_VCPUS_MAX);
	}
	conf_vm_disks(ini, vm, ps);
	conf_vm_nics(ini, vm, ps);
}

struct vm_conf *
conf_vm_from_ini(struct conf_ini *ini, const char *base,
    struct conf_problems *ps)
{
	struct vm_conf	*vm;
	unsigned char	*given;

	vm = xcalloc(1, sizeof *vm);
	vm->file = xstrdup(ini->file);
	conf_defaults(conf_vm_keys, conf_vm_nkeys, vm);
	if (ini->size == 0) {
		conf_problem_add(ps, ini->file, 0, NULL, "file is empty (a VM "
		    "file needs [VM] with name, storage_path and "
		    "uefi_vars_storage_path)");
		return (vm);
	}
	given = xcalloc(conf_vm_nkeys, 8);
	if (conf_apply(ini, CONF_VM_SECTION, "VM", conf_vm_keys,
	    conf_vm_nkeys, vm, given, ps) == 0)
		conf_vm_checks(ini, base, vm, ps);
	free(given);
	return (vm);
}

void
conf_agent_from_ini(struct conf_ini *ini, struct agent_conf *ac,
    struct conf_problems *ps)
{
	const struct conf_key	*k;
	unsigned char		*given;
	char			**sp;
	size_t			 i, j;
	int			 idx;

	given = xcalloc(conf_agent_nkeys, 8);
	conf_apply(ini, CONF_AGENT_SECTION, "agent", conf_agent_keys,
	    conf_agent_nkeys, ac, given, ps);
	/* Firmware the file does not name follows the driver it sets. */
	for (i = 0; i < nitems(conf_firmware); i++) {
		if (strcmp(conf_firmware[i].driver, ac->driver) != 0)
			continue;
		for (j = 0; j < nitems(conf_firmware_keys); j++) {
			k = conf_find_key(conf_agent_keys, conf_agent_nkeys,
			    conf_firmware_keys[j], &idx, NULL);
			if (given[(k - conf_agent_keys) * 8])
				continue;
			sp = (char **)((char *)ac + k->off);
			free(*sp);
			*sp = xstrdup(conf_firmware[i].path[j]);
		}
	}
	free(given);
}

void
agent_conf_defaults(struct agent_conf *ac)
{
	const struct conf_key	*k;
	size_t			 i, j;
	int			 idx;

	memset(ac, 0, sizeof *ac);
	conf_defaults(conf_agent_keys, conf_agent_nkeys, ac);
	if (ac->iso_dirs == NULL)
		ac->iso_dirs = xstrdup("");
	for (i = 0; i < nitems(conf_firmware); i++) {
		if (strcmp(conf_firmware[i].driver, ac->driver) != 0)
			continue;
		for (j = 0; j < nitems(conf_firmware_keys); j++) {
			k = conf_find_key(conf_agent_keys, conf_agent_nkeys,
			    conf_firmware_keys[j], &idx, NULL);
			*(char **)((char *)ac + k->off) =
			    xstrdup(conf_firmware[i].path[j]);
		}
	}
}

static void
conf_free_strings(const struct conf_key *keys, unsigned int nkeys,
    void *base)
{
	const struct conf_key	*k;
	unsigned int		 i;
	int			 j, n;
	char			**sp;

	for (i = 0; i < nkeys; i++) {
		k = &keys[i];
		if (k->type == CONF_INT || k->type == CONF_BOOL ||
		    k->type == CONF_PORTRANGE || k->type == CONF_RESOLUTION)
			continue;
		n = (k->flags & CONF_F_INDEXED) ? k->nindex : 0;
		for (j = 0; j <= n; j++) {
			if ((k->flags & CONF_F_INDEXED) && j == 0)
				continue;	/* the plain key's */
			sp = (char **)((char *)base + k->off +
			    (size_t)j * k->stride);
			free(*sp);
			*sp = NULL;
		}
	}
}

void
agent_conf_clear(struct agent_conf *ac)
{
	conf_free_strings(conf_agent_keys, conf_agent_nkeys, ac);
	memset(ac, 0, sizeof *ac);
}

void
vm_conf_free(struct vm_conf *vm)
{
	if (vm == NULL)
		return;
	conf_free_strings(conf_vm_keys, conf_vm_nkeys, vm);
	free(vm->file);
	free(vm);
}

int
vm_conf_vcpus(const struct vm_conf *vm)
{
	return (vm->cpu_sockets * vm->cpu_cores * vm->cpu_threads);
}

int
vm_conf_bios(const struct vm_conf *vm)
{
	return (conf_firmware_bios(vm->firmware));
}

int
conf_firmware_bios(const char *firmware)
{
	return (firmware != NULL && strcmp(firmware, "bios") == 0);
}

struct vm_conf *
vm_conf_find(struct conf *conf, const char *name)
{
	struct vm_conf	*vm;

	TAILQ_FOREACH(vm, &conf->vms, entry) {
		if (strcmp(vm->name, name) == 0)
			return (vm);
	}
	return (NULL);
}
