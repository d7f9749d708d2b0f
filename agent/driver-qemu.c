/*
 * The QEMU driver (Linux test backend).  The same INI gives the guest the
 * hardware the bhyve driver gives it: q35 with OVMF and a per-VM vars
 * file, NVMe disks with 4096-byte sectors, virtio-net on taps with the
 * configured MACs, a VGA framebuffer on VNC with an xHCI tablet, a virtio
 * RNG, the ISO on an AHCI CD, and the serial console on a socket the
 * monitor holds.  firmware = bios boots SeaBIOS (bios_firmware, -bios)
 * instead, without a vars file; QEMU's VGA then shows text mode (80x25).
 *
 * QEMU exits 0 for a reboot and a power-off alike, so the exit reason
 * comes from the last QMP SHUTDOWN event; -no-reboot makes a guest reboot
 * (and system_reset) end QEMU, and the monitor runs it again, as it does
 * for bhyve.  Facts: ../shared/reference/bhyve.md section 8 and
 * linux-testing.md sections 3-4.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "compat.h"
#include "console.h"
#include "driver.h"
#include "log.h"
#include "monitor.h"
#include "proc.h"
#include "qmp.h"
#include "util.h"
#include "xmalloc.h"

#define QEMU_QMP_TIMEOUT	10.0	/* s: QMP must come up within this */
#define QEMU_TOOL_TIMEOUT	15000	/* ms, for ip(8) */
#define QEMU_VNC_BASE		5900
#define QEMU_SECTOR_DEFAULT	4096	/* bhyve: nvme,sectsz=4096 */

struct qemu_state {
	struct qmp	*qmp;
	char		*reason;	/* last SHUTDOWN reason, this run */
	int		 handshake;	/* QMP came up in this run */
	int		 exited;	/* this run is over: no reconnects */
	int		 start_failed;	/* QMP never came up: killed */
	int		 reconnecting;	/* lost after the handshake */
	int		 wait_vnc;	/* started with -S: cont on a client */
};

/* SHUTDOWN reasons (qapi/run-state.json ShutdownCause) to exit reasons. */
static const struct {
	const char	*reason;
	enum vm_exit	 exit;
} qemu_reasons[] = {
	{ "guest-reset",		VM_EXIT_REBOOT },
	{ "host-qmp-system-reset",	VM_EXIT_REBOOT },
	{ "subsystem-reset",		VM_EXIT_REBOOT },
	{ "guest-shutdown",		VM_EXIT_POWEROFF },
	{ "host-qmp-quit",		VM_EXIT_POWEROFF },
	{ "host-signal",		VM_EXIT_POWEROFF },
	{ "host-ui",			VM_EXIT_POWEROFF },
	{ "guest-panic",		VM_EXIT_ERROR },
	{ "host-error",			VM_EXIT_ERROR },
};

/* A value inside a QEMU option list: every ',' doubled (new string). */
static char *
qemu_esc(const char *s)
{
	char	*out, *p;

	out = p = xmalloc(strlen(s) * 2 + 1);
	for (; *s != '\0'; s++) {
		*p++ = *s;
		if (*s == ',')
			*p++ = ',';
	}
	*p = '\0';
	return (out);
}

static struct qemu_state *
qemu_state(struct mon *mon)
{
	if (mon->drvdata == NULL)
		mon->drvdata = xcalloc(1, sizeof(struct qemu_state));
	return (mon->drvdata);
}

/* auto: KVM when /dev/kvm opens read-write, else TCG. */
static const char *
qemu_accel(struct mon *mon)
{
	const char	*a = mon->agent.qemu_accel;
	int		 fd;

	if (a != NULL && strcmp(a, "auto") != 0)
		return (a);
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1)
		return ("tcg");
	close(fd);
	return ("kvm");
}

/* A short serial per disk, stable for the VM: "AN" + hash(name) + index. */
static void
qemu_disk_serial(struct mon *mon, int i, char *buf, size_t len)
{
	const unsigned char	*p;
	uint32_t		 h = 2166136261U;

	for (p = (const unsigned char *)mon->name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619U;
	snprintf(buf, len, "AN%08X%d", (unsigned int)h, i);
}

static int
qemu_vnc_on(struct mon *mon)
{
	return (mon->vm->vnc && mon->vnc_port > 0);
}

/* Checks argv needs as well as prepare. */
static int
qemu_check_vnc(struct mon *mon, char **cause)
{
	if (!qemu_vnc_on(mon) || mon->vnc_port >= QEMU_VNC_BASE)
		return (0);
	xasprintf(cause, "%s: VNC port %d is below %d: QEMU listens on "
	    "5900 + display number only", mon->name, mon->vnc_port,
	    QEMU_VNC_BASE);
	return (-1);
}

static void
qemu_argv_vnc(struct mon *mon, struct argv_buf *a)
{
	struct vm_conf	*vm = mon->vm;
	const char	*bind;

	bind = vm->vnc_bind != NULL ? vm->vnc_bind : "127.0.0.1";
	if (vm->vnc_width > 0 && vm->vnc_height > 0) {
		/* Std VGA; xres/yres is the EDID preferred mode. */
		argv_add(a, "-device");
		argv_add(a, "VGA,xres=%d,yres=%d", vm->vnc_width,
		    vm->vnc_height);
	} else {
		argv_add(a, "-vga");
		argv_add(a, "std");
	}
	argv_add(a, "-vnc");
	argv_add(a, "%s%s%s:%d%s", strchr(bind, ':') != NULL ? "[" : "",
	    bind, strchr(bind, ':') != NULL ? "]" : "",
	    mon->vnc_port - QEMU_VNC_BASE,
	    vm->vnc_password != NULL ? ",password=on" : "");
	if (vm->vnc_kbd_layout != NULL)
		log_debug("%s: vnc_kbd_layout is for bhyve, ignored by qemu",
		    mon->name);
}

static void
qemu_argv_devices(struct mon *mon, struct argv_buf *a)
{
	struct vm_conf	*vm = mon->vm;
	char		*e, serial[32];
	int		 i, sect;

	/*
	 * The CD's controller first: it gets a lower PCI address than the
	 * disks, so with vars that have no boot entry yet OVMF tries the CD
	 * before an empty disk, as bhyve does (ahci-cd at slot 3, nvme at 4).
	 * No bootindex: once the installed OS has its boot entry in the
	 * vars, that entry wins, also with the ISO still attached.
	 */
	if (vm->iso_path != NULL) {
		e = qemu_esc(vm->iso_path);
		argv_add(a, "-drive");
		argv_add(a, "if=none,id=cd0,media=cdrom,readonly=on,"
		    "format=raw,file=%s", e);
		free(e);
		argv_add(a, "-device");
		argv_add(a, "ahci,id=ahci0");
		argv_add(a, "-device");
		argv_add(a, "ide-cd,bus=ahci0.0,drive=cd0");
	}
	sect = vm->disk_sector_size > 0 ? vm->disk_sector_size :
	    QEMU_SECTOR_DEFAULT;
	for (i = 0; i < vm->ndisks; i++) {
		if (vm->disks[i] == NULL)
			continue;
		e = qemu_esc(vm->disks[i]);
		argv_add(a, "-drive");
		argv_add(a, "if=none,id=disk%d,file=%s,format=raw,"
		    "discard=unmap", i, e);
		free(e);
		qemu_disk_serial(mon, i, serial, sizeof serial);
		argv_add(a, "-device");
		argv_add(a, "nvme,drive=disk%d,serial=%s,"
		    "logical_block_size=%d,physical_block_size=%d", i, serial,
		    sect, sect);
	}
	for (i = 0; i < vm->nnics; i++) {
		if (mon->taps[i] == NULL)
			continue;
		argv_add(a, "-netdev");
		argv_add(a, "tap,id=net%d,ifname=%s,script=no,downscript=no",
		    i, mon->taps[i]);
		argv_add(a, "-device");
		if (mon->macs[i] != NULL)
			argv_add(a, "virtio-net-pci,netdev=net%d,mac=%s", i,
			    mon->macs[i]);
		else
			argv_add(a, "virtio-net-pci,netdev=net%d", i);
	}
	if (qemu_vnc_on(mon)) {
		argv_add(a, "-device");
		argv_add(a, "qemu-xhci,id=xhci");
		argv_add(a, "-device");
		argv_add(a, "usb-tablet,bus=xhci.0");
	}
	argv_add(a, "-device");
	argv_add(a, "virtio-rng-pci");
}

/*
 * The argv for one run.  No side effects: `anlasser-monitor -n` prints it
 * without prepare, possibly while the VM runs.
 */
static char **
qemu_argv(struct mon *mon, char **cause)
{
	struct vm_conf	*vm = mon->vm;
	struct argv_buf a = { NULL, 0 };
	const char	*accel;
	char		*p, *e;
	int		 bios;

	if (qemu_check_vnc(mon, cause) == -1)
		return (NULL);
	bios = vm_conf_bios(vm);
	if (mon->agent.qemu == NULL || (bios ? mon->agent.bios_firmware ==
	    NULL : mon->agent.uefi_firmware == NULL || vm->uefi_vars == NULL)) {
		xasprintf(cause, "%s: qemu, %s must be set", mon->name, bios ?
		    "bios_firmware" : "uefi_firmware and the UEFI vars path");
		return (NULL);
	}
	accel = qemu_accel(mon);

	argv_add(&a, "%s", mon->agent.qemu);
	argv_add(&a, "-name");
	argv_add(&a, "guest=%s", mon->name);
	argv_add(&a, "-machine");
	argv_add(&a, "q35,accel=%s", accel);
	if (strcmp(accel, "kvm") == 0) {
		argv_add(&a, "-cpu");
		argv_add(&a, "host");
	}
	argv_add(&a, "-smp");
	argv_add(&a, "cpus=%d,sockets=%d,cores=%d,threads=%d",
	    vm_conf_vcpus(vm), vm->cpu_sockets, vm->cpu_cores,
	    vm->cpu_threads);
	argv_add(&a, "-m");
	argv_add(&a, "%dM", vm->memory_mb);
	argv_add(&a, "-nodefaults");
	argv_add(&a, "-no-user-config");
	argv_add(&a, "-no-reboot");
	argv_add(&a, "-display");
	argv_add(&a, "none");
	if (qemu_vnc_on(mon) && vm->vnc_wait_connect)
		argv_add(&a, "-S");	/* bhyve fbuf,wait: cont on a client */

	p = mon_path(mon, "qmp");
	argv_add(&a, "-qmp");
	argv_add(&a, "unix:%s,server=on,wait=off", p);
	free(p);

	if (bios) {
		argv_add(&a, "-bios");
		argv_add(&a, "%s", mon->agent.bios_firmware);
	} else {
		e = qemu_esc(mon->agent.uefi_firmware);
		argv_add(&a, "-drive");
		argv_add(&a, "if=pflash,format=raw,unit=0,readonly=on,"
		    "file=%s", e);
		free(e);
		e = qemu_esc(vm->uefi_vars);
		argv_add(&a, "-drive");
		argv_add(&a, "if=pflash,format=raw,unit=1,file=%s", e);
		free(e);
	}

	if (vm->console) {
		p = mon_path(mon, "console");
		e = qemu_esc(p);
		argv_add(&a, "-chardev");
		argv_add(&a, "socket,id=ser0,path=%s,server=on,wait=off", e);
		argv_add(&a, "-serial");
		argv_add(&a, "chardev:ser0");
		free(e);
		free(p);
	}
	if (qemu_vnc_on(mon))
		qemu_argv_vnc(mon, &a);
	qemu_argv_devices(mon, &a);
	return (a.v);
}

/* ------------------------------------------------------------ prepare */

static int
qemu_check_file(struct mon *mon, const char *what, const char *path,
    int mode, char **cause)
{
	if (path == NULL) {
		xasprintf(cause, "%s: no %s configured", mon->name, what);
		return (-1);
	}
	if (access(path, mode) == 0)
		return (0);
	xasprintf(cause, "%s: %s %s: %s", mon->name, what, path,
	    strerror(errno));
	return (-1);
}

/* QEMU's socket paths must fit sun_path and cannot hold a comma. */
static int
qemu_check_socket(struct mon *mon, const char *suffix, char **cause)
{
	struct sockaddr_un	 sun;
	char			*p;
	int			 r = 0;

	p = mon_path(mon, suffix);
	if (strlen(p) >= sizeof sun.sun_path) {
		xasprintf(cause, "%s: socket path %s is longer than %zu "
		    "bytes", mon->name, p, sizeof sun.sun_path - 1);
		r = -1;
	} else if (strchr(p, ',') != NULL) {
		xasprintf(cause, "%s: socket path %s contains a comma",
		    mon->name, p);
		r = -1;
	}
	free(p);
	return (r);
}

static void
qemu_unlink_sockets(struct mon *mon)
{
	char	*p;

	p = mon_path(mon, "qmp");
	unlink(p);
	free(p);
	p = mon_path(mon, "console");
	unlink(p);
	free(p);
}

static const char *
qemu_ip_tool(void)
{
	if (access("/sbin/ip", X_OK) == 0)
		return ("/sbin/ip");
	if (access("/usr/sbin/ip", X_OK) == 0)
		return ("/usr/sbin/ip");
	return (NULL);
}

/* Run ip(8) with the NULL-terminated arguments; 0 when it exits 0. */
static int
qemu_ip(struct mon *mon, char **cause, ...)
{
	va_list		 ap;
	const char	*ip;
	char		*argv[8], *out = NULL, *cmd, *nl;
	int		 status, n = 0;

	if ((ip = qemu_ip_tool()) == NULL) {
		xasprintf(cause, "%s: the ip tool was not found (/sbin/ip, "
		    "/usr/sbin/ip)", mon->name);
		return (-1);
	}
	argv[n++] = (char *)ip;
	va_start(ap, cause);
	while (n < (int)nitems(argv) - 1 &&
	    (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	cmd = proc_argv_string(argv);
	log_debug("%s: running %s", mon->name, cmd);
	if (proc_run(argv, QEMU_TOOL_TIMEOUT, &out, &status, cause) == -1) {
		free(cmd);
		return (-1);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		free(out);
		free(cmd);
		return (0);
	}
	if (out != NULL && (nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	xasprintf(cause, "%s: `%s` %s%s%s", mon->name, cmd,
	    proc_status_string(status), out != NULL ? ": " : "",
	    out != NULL ? out : "");
	free(out);
	free(cmd);
	return (-1);
}

static void
qemu_destroy_taps(struct mon *mon)
{
	char	*cause = NULL;
	int	 i;

	for (i = 0; i < VM_MAX_NICS; i++) {
		if (!mon->tap_created[i] || mon->taps[i] == NULL)
			continue;
		if (qemu_ip(mon, &cause, "link", "del", mon->taps[i],
		    (char *)NULL) == -1) {
			log_warnx("%s", cause);
			free(cause);
			cause = NULL;
		}
		mon->tap_created[i] = 0;
	}
}

#ifdef __linux__
static int
qemu_if_exists(const char *ifname, const char *sub)
{
	char	*p;
	int	 r;

	xasprintf(&p, "/sys/class/net/%s%s", ifname, sub);
	r = path_exists(p);
	free(p);
	return (r);
}

/*
 * Every NIC's tap exists and is up before QEMU opens it, and sits on its
 * bridge: created here (persistent, so it survives the reboot loop) unless
 * it existed, destroyed by cleanup.  The same as the bhyve driver.
 */
static int
qemu_prepare_taps(struct mon *mon, char **cause)
{
	struct vm_conf	*vm = mon->vm;
	const char	*tap, *br;
	int		 i;

	for (i = 0; i < vm->nnics; i++) {
		if ((tap = mon->taps[i]) == NULL) {
			xasprintf(cause, "%s: NIC %d has no tap device (the "
			    "agent allocates one; set tapdev to choose)",
			    mon->name, i);
			return (-1);
		}
		br = vm->nics[i].bridge;
		if (br != NULL && !qemu_if_exists(br, "/bridge")) {
			xasprintf(cause, "%s: NIC %d: %s %s", mon->name, i,
			    br, qemu_if_exists(br, "") ?
			    "is not a bridge" : "does not exist");
			return (-1);
		}
		if (!qemu_if_exists(tap, "")) {
			if (qemu_ip(mon, cause, "tuntap", "add", "dev", tap,
			    "mode", "tap", (char *)NULL) == -1)
				return (-1);
			mon->tap_created[i] = 1;
		}
		if (br != NULL && qemu_ip(mon, cause, "link", "set", tap,
		    "master", br, (char *)NULL) == -1)
			return (-1);
		if (qemu_ip(mon, cause, "link", "set", tap, "up",
		    (char *)NULL) == -1)
			return (-1);
	}
	return (0);
}
#else
static int
qemu_prepare_taps(struct mon *mon, char **cause)
{
	struct vm_conf	*vm = mon->vm;
	int		 i;

	for (i = 0; i < vm->nnics; i++) {
		if (vm->nics[i].bridge != NULL) {
			xasprintf(cause, "%s: bridged NICs need Linux with "
			    "the qemu driver", mon->name);
			return (-1);
		}
	}
	return (0);
}
#endif

/* The UEFI vars file: a copy of the template when it is missing. */
static int
qemu_prepare_vars(struct mon *mon, int *created, char **cause)
{
	struct vm_conf	*vm = mon->vm;

	if (vm->uefi_vars == NULL) {
		xasprintf(cause, "%s: no UEFI vars path configured",
		    mon->name);
		return (-1);
	}
	/* Fresh vars on request are the monitor's (mon_fresh_vars). */
	if (!path_exists(vm->uefi_vars)) {
		if (qemu_check_file(mon, "UEFI vars template",
		    mon->agent.uefi_vars_template, R_OK, cause) == -1)
			return (-1);
		if (copy_file(mon->agent.uefi_vars_template, vm->uefi_vars,
		    0600) == -1) {
			xasprintf(cause, "%s: UEFI vars %s is missing and the "
			    "template %s could not be copied: %s", mon->name,
			    vm->uefi_vars, mon->agent.uefi_vars_template,
			    strerror(errno));
			return (-1);
		}
		*created = 1;
		mon_log(mon, "copied UEFI vars template %s to %s",
		    mon->agent.uefi_vars_template, vm->uefi_vars);
	} else if (access(vm->uefi_vars, R_OK | W_OK) == -1) {
		xasprintf(cause, "%s: UEFI vars %s: %s", mon->name,
		    vm->uefi_vars, strerror(errno));
		return (-1);
	}
	return (0);
}

static int
qemu_prepare(struct mon *mon, char **cause)
{
	struct vm_conf	*vm = mon->vm;
	int		 i, created = 0;

	qemu_state(mon);
	if (qemu_check_file(mon, "qemu binary", mon->agent.qemu, X_OK,
	    cause) == -1 ||
	    (vm_conf_bios(vm) ? qemu_check_file(mon, "BIOS firmware",
	    mon->agent.bios_firmware, R_OK, cause) : qemu_check_file(mon,
	    "UEFI firmware", mon->agent.uefi_firmware, R_OK, cause)) == -1 ||
	    qemu_check_vnc(mon, cause) == -1 ||
	    qemu_check_socket(mon, "qmp", cause) == -1 ||
	    qemu_check_socket(mon, "console", cause) == -1)
		return (-1);
	for (i = 0; i < vm->ndisks; i++) {
		if (vm->disks[i] != NULL && qemu_check_file(mon, "disk",
		    vm->disks[i], R_OK | W_OK, cause) == -1)
			return (-1);
	}
	if (vm->iso_path != NULL && qemu_check_file(mon, "ISO",
	    vm->iso_path, R_OK, cause) == -1)
		return (-1);
	/* SeaBIOS keeps no variables. */
	if (!vm_conf_bios(vm) && qemu_prepare_vars(mon, &created,
	    cause) == -1)
		return (-1);

	if (qemu_prepare_taps(mon, cause) == -1) {
		qemu_destroy_taps(mon);
		if (created)
			unlink(vm->uefi_vars);
		return (-1);
	}
	qemu_unlink_sockets(mon);
	return (0);
}

/* ---------------------------------------------------------------- QMP */

static void
qemu_cont_cb(struct qmp *q, const char *error, json_t *ret, void *arg)
{
	struct mon	*mon = arg;

	if (error != NULL)
		mon_log(mon, "cannot start the guest: %s", error);
}

static void
qemu_cont(struct mon *mon, const char *why)
{
	struct qemu_state	*st = qemu_state(mon);
	char			*cause = NULL;

	if (!st->wait_vnc)
		return;
	st->wait_vnc = 0;
	mon_log(mon, "%s, starting the guest", why);
	if (qmp_execute(st->qmp, "cont", NULL, NULL, qemu_cont_cb, mon,
	    &cause) == -1) {
		mon_log(mon, "%s", cause);
		free(cause);
	}
}

/* Waiting for a VNC client: one may have come before QMP was up. */
static void
qemu_query_vnc_cb(struct qmp *q, const char *error, json_t *ret, void *arg)
{
	struct mon	*mon = arg;

	if (error != NULL)
		return;
	if (json_array_size(json_object_get(ret, "clients")) > 0)
		qemu_cont(mon, "a VNC client is connected");
}

static void
qemu_ready_cb(struct qmp *q, void *arg)
{
	struct mon		*mon = arg;
	struct qemu_state	*st = qemu_state(mon);

	if (st->handshake) {
		st->reconnecting = 0;
		mon_log(mon, "QMP reconnected");
		return;
	}
	st->handshake = 1;
	if (qemu_vnc_on(mon) && mon->vm->vnc_password != NULL)
		qmp_execute(q, "change-vnc-password", "password",
		    mon->vm->vnc_password, NULL, NULL, NULL);
	if (st->wait_vnc) {
		mon_log(mon, "waiting for a VNC client on port %d",
		    mon->vnc_port);
		qmp_execute(q, "query-vnc", NULL, NULL, qemu_query_vnc_cb, mon,
		    NULL);
	}
	mon_running(mon);
}

static void
qemu_event_cb(struct qmp *q, const struct qmp_event *ev, void *arg)
{
	struct mon		*mon = arg;
	struct qemu_state	*st = qemu_state(mon);
	const char		*reason;

	reason = ev->reason != NULL ? ev->reason : "none";
	if (strcmp(ev->name, "SHUTDOWN") == 0) {
		free(st->reason);
		st->reason = xstrdup(reason);
		mon_log(mon, "QEMU shutting down (%s)", reason);
	} else if (strcmp(ev->name, "POWERDOWN") == 0)
		mon_log(mon, "ACPI power button pressed");
	else if (strcmp(ev->name, "RESET") == 0)
		mon_log(mon, "reset (%s)", reason);
	else if (strcmp(ev->name, "GUEST_PANICKED") == 0)
		mon_log(mon, "the guest panicked");
	else if (strcmp(ev->name, "VNC_INITIALIZED") == 0)
		qemu_cont(mon, "a VNC client connected");
}

static void
qemu_lost_cb(struct qmp *q, const char *why, void *arg)
{
	struct mon		*mon = arg;
	struct qemu_state	*st = qemu_state(mon);

	if (st->exited)
		return;
	if (st->handshake) {
		/* Usually QEMU is exiting and SIGCHLD follows; else retry. */
		if (!st->reconnecting) {
			log_debug("%s: %s; reconnecting", mon->name, why);
			st->reconnecting = 1;
			qmp_connect(q, QEMU_QMP_TIMEOUT);
		} else
			mon_log(mon, "QMP lost: %s", why);
		return;
	}
	mon_log(mon, "%s; stopping QEMU", why);
	st->start_failed = 1;
	if (mon->pid > 0)
		kill(mon->pid, SIGKILL);
}

static const struct qmp_ops qemu_qmp_ops = {
	.ready = qemu_ready_cb,
	.event = qemu_event_cb,
	.lost = qemu_lost_cb,
};

static void
qemu_spawned(struct mon *mon)
{
	struct qemu_state	*st = qemu_state(mon);
	char			*p;

	free(st->reason);
	st->reason = NULL;
	st->handshake = 0;
	st->exited = 0;
	st->start_failed = 0;
	st->reconnecting = 0;
	st->wait_vnc = qemu_vnc_on(mon) && mon->vm->vnc_wait_connect;
	if (st->qmp == NULL) {
		p = mon_path(mon, "qmp");
		st->qmp = qmp_new(mon->base, p, mon->name, &qemu_qmp_ops, mon);
		free(p);
	}
	qmp_connect(st->qmp, QEMU_QMP_TIMEOUT);
	if (mon->vm->console) {
		/* Capture from the start: connect as soon as it listens. */
		p = mon_path(mon, "console");
		console_connect(mon, p);
		free(p);
	}
}

/* ------------------------------------------------------------ control */

static int
qemu_qmp(struct mon *mon, const char *cmd, const char *what, char **cause)
{
	struct qemu_state	*st = qemu_state(mon);

	if (!qmp_is_ready(st->qmp)) {
		xasprintf(cause, "%s: QMP is not connected, cannot %s",
		    mon->name, what);
		return (-1);
	}
	return (qmp_execute(st->qmp, cmd, NULL, NULL, NULL, NULL, cause));
}

static int
qemu_shutdown(struct mon *mon, char **cause)
{
	struct qemu_state	*st = qemu_state(mon);

	/*
	 * Still paused for a VNC client, the guest never ran: end it, as
	 * bhyve's SIGTERM ends a guest that has not enabled ACPI yet.
	 */
	if (st->wait_vnc && qmp_is_ready(st->qmp)) {
		mon_log(mon, "the guest never ran (waiting for VNC), quitting");
		return (qemu_qmp(mon, "quit", "quit", cause));
	}
	/* No fallback: SIGTERM to QEMU is a hard stop, not ACPI. */
	return (qemu_qmp(mon, "system_powerdown", "press the power button",
	    cause));
}

static int
qemu_poweroff(struct mon *mon, char **cause)
{
	struct qemu_state	*st = qemu_state(mon);

	if (qmp_is_ready(st->qmp))
		return (qemu_qmp(mon, "quit", "quit", cause));
	if (mon->pid <= 0) {
		xasprintf(cause, "%s: QEMU is not running", mon->name);
		return (-1);
	}
	mon_log(mon, "QMP is not connected, killing QEMU");
	if (kill(mon->pid, SIGKILL) == -1) {
		xasprintf(cause, "%s: cannot kill QEMU: %s", mon->name,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static int
qemu_reset(struct mon *mon, char **cause)
{
	/* With -no-reboot QEMU exits; the monitor runs it again. */
	return (qemu_qmp(mon, "system_reset", "reset", cause));
}

static enum vm_exit
qemu_exit_reason(struct mon *mon, int status)
{
	struct qemu_state	*st = qemu_state(mon);
	size_t			 i;

	/* Its last events may still sit unread in the socket. */
	st->exited = 1;
	qmp_drain(st->qmp);
	if (st->qmp != NULL)
		qmp_close(st->qmp);
	qemu_unlink_sockets(mon);

	if (st->start_failed)
		return (VM_EXIT_START_FAILED);
	if (WIFSIGNALED(status))
		return (VM_EXIT_SIGNAL);
	if (st->reason == NULL) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return (VM_EXIT_POWEROFF);	/* QMP lost */
		/* QMP answers only once QEMU's start-up has finished. */
		return (st->handshake ? VM_EXIT_ERROR : VM_EXIT_START_FAILED);
	}
	for (i = 0; i < nitems(qemu_reasons); i++) {
		if (strcmp(qemu_reasons[i].reason, st->reason) == 0)
			return (qemu_reasons[i].exit);
	}
	return (VM_EXIT_POWEROFF);
}

static void
qemu_cleanup(struct mon *mon)
{
	struct qemu_state	*st = mon->drvdata;

	if (st != NULL) {
		qmp_free(st->qmp);
		free(st->reason);
		free(st);
		mon->drvdata = NULL;
	}
	qemu_unlink_sockets(mon);
	qemu_destroy_taps(mon);
}

const struct vm_driver driver_qemu = {
	.name = "qemu",
	.prepare = qemu_prepare,
	.argv = qemu_argv,
	.spawned = qemu_spawned,
	.shutdown = qemu_shutdown,
	.poweroff = qemu_poweroff,
	.reset = qemu_reset,
	.exit_reason = qemu_exit_reason,
	.cleanup = qemu_cleanup,
};
