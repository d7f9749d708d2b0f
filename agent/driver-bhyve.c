/*
 * The bhyve driver (FreeBSD, the product's home).  The argv follows the
 * original Python Anlasser's device set, so existing guests see the same
 * hardware: -A -H -P -D -w -u, hostbridge at 0, lpc at 31, NVMe with
 * sectsz=4096, virtio-net on a tap with the configured MAC, fbuf at 6, xhci
 * tablet at 8, virtio-rnd at 9, ahci-cd at 3, UEFI bootrom with a per-VM
 * vars file, and com1 on a named nmdm pair.  firmware = bios boots the
 * CSM build of the UEFI firmware (bios_firmware) without a vars file:
 * bhyve has no other BIOS, and its fbuf cannot show VGA text mode.
 *
 * Facts relied on (../shared/reference/bhyve.md): exit 0 reboot, 1
 * power-off, 2 halt, 3 triple fault, 4 error; SIGTERM is the ACPI power
 * button once the guest enabled ACPI (before that it kills bhyve);
 * bhyvectl --force-reset/--force-poweroff make bhyve exit 0/1; the kernel
 * VM outlives bhyve, so bhyvectl --destroy after the final exit.
 */
#include "config.h"

#include <sys/types.h>
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

#include <event2/event.h>

#include "compat.h"
#include "console.h"
#include "driver.h"
#include "log.h"
#include "monitor.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

#define BHYVE_TOOL_TIMEOUT	15000	/* ms */
#define BHYVE_SETTLE_MS		1000	/* alive this long: started */
#define BHYVE_KBDLAYOUT_DIR	"/usr/share/bhyve/kbdlayout"
#define BHYVE_SLOT_CD		3
#define BHYVE_SLOT_DISK0	4
#define BHYVE_SLOT_NIC0		5
#define BHYVE_SLOT_FBUF		6
#define BHYVE_SLOT_XHCI		8
#define BHYVE_SLOT_RND		9
#define BHYVE_SLOT_DISKN	10	/* disk1.. at 10..16 */
#define BHYVE_SLOT_NICN		20	/* nic1.. at 20..26 */

/* Run one of the host tools (ifconfig, bhyvectl); 0 on exit status 0. */
static int
bhyve_tool(struct mon *mon, char **cause, char *const argv[])
{
	char	*out = NULL, *cmd, *nl, *why = NULL;
	int	 status;

	cmd = proc_argv_string(argv);
	log_debug("%s: running %s", mon->name, cmd);
	if (proc_run(argv, BHYVE_TOOL_TIMEOUT, &out, &status, &why) == -1) {
		/* Say which VM and what it was doing (a hung tool). */
		if (cause != NULL)
			xasprintf(cause, "%s: `%s`: %s", mon->name, cmd, why);
		free(why);
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
	if (cause != NULL)
		xasprintf(cause, "%s: `%s` %s%s%s", mon->name, cmd,
		    proc_status_string(status), out != NULL ? ": " : "",
		    out != NULL ? out : "");
	free(out);
	free(cmd);
	return (-1);
}

static int
bhyve_ifconfig(struct mon *mon, char **cause, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
	char	*argv[] = { mon->agent.ifconfig, (char *)a1, (char *)a2,
		    (char *)a3, (char *)a4, NULL };

	return (bhyve_tool(mon, cause, argv));
}

static int
bhyve_bhyvectl(struct mon *mon, const char *op, char **cause)
{
	char	*vm, *argv[4];
	int	 r;

	xasprintf(&vm, "--vm=%s", mon->name);
	argv[0] = mon->agent.bhyvectl;
	argv[1] = vm;
	argv[2] = (char *)op;
	argv[3] = NULL;
	r = bhyve_tool(mon, cause, argv);
	free(vm);
	return (r);
}

/* Is the interface there already (`ifconfig -l`)? */
static int
bhyve_if_exists(struct mon *mon, const char *ifname)
{
	char	*argv[] = { mon->agent.ifconfig, "-l", NULL };
	char	*out = NULL, *p, *tok, *cause = NULL;
	int	 status, found = 0;

	if (proc_run(argv, BHYVE_TOOL_TIMEOUT, &out, &status, &cause) == -1) {
		free(cause);
		return (0);
	}
	for (p = out; p != NULL && (tok = strsep(&p, " \t\n")) != NULL;) {
		if (strcmp(tok, ifname) == 0)
			found = 1;
	}
	free(out);
	return (found);
}

static void
bhyve_destroy_taps(struct mon *mon)
{
	char	*cause = NULL;
	int	 i;

	for (i = 0; i < VM_MAX_NICS; i++) {
		if (!mon->tap_created[i] || mon->taps[i] == NULL)
			continue;
		if (bhyve_ifconfig(mon, &cause, mon->taps[i], "destroy", NULL,
		    NULL) == -1) {
			log_warnx("%s", cause);
			free(cause);
			cause = NULL;
		}
		mon->tap_created[i] = 0;
	}
}

static int
bhyve_check_file(struct mon *mon, const char *what, const char *path,
    int mode, char **cause)
{
	if (access(path, mode) == 0)
		return (0);
	xasprintf(cause, "%s: %s %s: %s", mon->name, what, path,
	    strerror(errno));
	return (-1);
}

/*
 * vnc_password goes to bhyve in a 0600 config file (-k), not on the
 * command line, where ps(1) shows it until bhyve's setproctitle (and for
 * the whole fbuf wait).  bhyve_config(5): a literal % is written %%.
 */
static char *
bhyve_secrets_path(struct mon *mon)
{
	return (mon_path(mon, "bhyve-secrets.conf"));
}

static int
bhyve_write_secrets(struct mon *mon, char **cause)
{
	struct vm_conf	*vm = mon->vm;
	char		*path, *line, *esc, *q;
	const char	*p;
	int		 rc;

	if (!vm->vnc || vm->vnc_password == NULL)
		return (0);
	esc = q = xcalloc(2, strlen(vm->vnc_password) + 1);
	for (p = vm->vnc_password; *p != '\0'; p++) {
		if (*p == '%')
			*q++ = '%';
		*q++ = *p;
	}
	xasprintf(&line, "# anlasser: secrets for %s, do not edit\n"
	    "pci.0.%d.0.password=%s\n", mon->name, BHYVE_SLOT_FBUF, esc);
	path = bhyve_secrets_path(mon);
	rc = write_file_atomic(path, line, strlen(line), 0600);
	if (rc == -1)
		xasprintf(cause, "%s: cannot write %s: %s", mon->name, path,
		    strerror(errno));
	explicit_bzero(esc, strlen(esc));
	explicit_bzero(line, strlen(line));
	free(esc);
	free(line);
	free(path);
	return (rc);
}

static int
bhyve_prepare(struct mon *mon, char **cause)
{
	struct vm_conf	*vm = mon->vm;
	char		*descr;
	int		 i;

	if (vm_conf_bios(vm)) {
		if (access(mon->agent.bios_firmware, R_OK) == -1) {
			xasprintf(cause, "%s: BIOS firmware %s: %s (firmware = "
			    "bios needs the CSM firmware, package "
			    "uefi-edk2-bhyve-csm, or bios_firmware in "
			    "anlasser.conf)", mon->name,
			    mon->agent.bios_firmware, strerror(errno));
			return (-1);
		}
	} else if (bhyve_check_file(mon, "UEFI firmware",
	    mon->agent.uefi_firmware, R_OK, cause) == -1)
		return (-1);
	for (i = 0; i < vm->ndisks; i++) {
		if (bhyve_check_file(mon, "disk", vm->disks[i], R_OK | W_OK,
		    cause) == -1)
			return (-1);
	}
	if (vm->iso_path != NULL && bhyve_check_file(mon, "ISO",
	    vm->iso_path, R_OK, cause) == -1)
		return (-1);
	/* Our side of com1, held across reboots (console.c). */
	if (vm->console && console_open_tty(mon, cause) == -1)
		return (-1);
	if (bhyve_write_secrets(mon, cause) == -1)
		return (-1);
	if (vm->uefi_vars != NULL && !path_exists(vm->uefi_vars)) {
		if (copy_file(mon->agent.uefi_vars_template, vm->uefi_vars,
		    0600) == -1) {
			xasprintf(cause, "%s: UEFI vars %s is missing and the "
			    "template %s could not be copied: %s", mon->name,
			    vm->uefi_vars, mon->agent.uefi_vars_template,
			    strerror(errno));
			return (-1);
		}
		mon_log(mon, "copied UEFI vars template %s to %s",
		    mon->agent.uefi_vars_template, vm->uefi_vars);
	}

	for (i = 0; i < vm->nnics; i++) {
		if (mon->taps[i] == NULL) {
			xasprintf(cause, "%s: NIC %d has no tap device (the "
			    "agent allocates one; set tapdev to choose)",
			    mon->name, i);
			goto fail;
		}
		if (!bhyve_if_exists(mon, mon->taps[i])) {
			if (bhyve_ifconfig(mon, cause, mon->taps[i], "create",
			    NULL, NULL) == -1)
				goto fail;
			mon->tap_created[i] = 1;
		}
		xasprintf(&descr, "anlasser/%s/%d", mon->name, i);
		if (bhyve_ifconfig(mon, cause, mon->taps[i], "descr", descr,
		    NULL) == -1) {
			free(descr);
			goto fail;
		}
		free(descr);
		if (vm->nics[i].bridge != NULL &&
		    bhyve_ifconfig(mon, cause, vm->nics[i].bridge, "addm",
		    mon->taps[i], NULL) == -1)
			goto fail;
		if (bhyve_ifconfig(mon, cause, mon->taps[i], "up", NULL,
		    NULL) == -1)
			goto fail;
	}
	return (0);
fail:
	bhyve_destroy_taps(mon);
	return (-1);
}

static char **
bhyve_argv(struct mon *mon, char **cause)
{
	struct vm_conf	*vm = mon->vm;
	struct argv_buf	 a = { NULL, 0 };
	char		*layout, *com1, *secrets;
	int		 i, slot;

	argv_add(&a, "%s", mon->agent.bhyve);
	argv_add(&a, "-A");
	argv_add(&a, "-H");
	argv_add(&a, "-P");
	argv_add(&a, "-D");
	argv_add(&a, "-w");
	argv_add(&a, "-u");
	argv_add(&a, "-c");
	argv_add(&a, "cpus=%d,sockets=%d,cores=%d,threads=%d",
	    vm_conf_vcpus(vm), vm->cpu_sockets, vm->cpu_cores,
	    vm->cpu_threads);
	argv_add(&a, "-m");
	argv_add(&a, "%dM", vm->memory_mb);
	argv_add(&a, "-s");
	argv_add(&a, "0,hostbridge");
	argv_add(&a, "-s");
	argv_add(&a, "31,lpc");
	for (i = 0; i < vm->ndisks; i++) {
		slot = i == 0 ? BHYVE_SLOT_DISK0 : BHYVE_SLOT_DISKN + i - 1;
		argv_add(&a, "-s");
		argv_add(&a, "%d,nvme,%s,sectsz=%d", slot, vm->disks[i],
		    vm->disk_sector_size > 0 ? vm->disk_sector_size : 4096);
	}
	for (i = 0; i < vm->nnics; i++) {
		slot = i == 0 ? BHYVE_SLOT_NIC0 : BHYVE_SLOT_NICN + i - 1;
		argv_add(&a, "-s");
		if (mon->macs[i] != NULL)
			argv_add(&a, "%d,virtio-net,%s,mac=%s", slot,
			    mon->taps[i] != NULL ? mon->taps[i] : "tap",
			    mon->macs[i]);
		else
			argv_add(&a, "%d,virtio-net,%s", slot,
			    mon->taps[i] != NULL ? mon->taps[i] : "tap");
	}
	if (vm->vnc && mon->vnc_port > 0) {
		argv_add(&a, "-s");
		argv_add(&a, "%d,fbuf,tcp=%s%s%s:%d,w=%d,h=%d%s",
		    BHYVE_SLOT_FBUF, strchr(vm->vnc_bind, ':') ? "[" : "",
		    vm->vnc_bind, strchr(vm->vnc_bind, ':') ? "]" : "",
		    mon->vnc_port, vm->vnc_width, vm->vnc_height,
		    vm->vnc_wait_connect ? ",wait" : "");
		if (vm->vnc_password != NULL) {
			argv_add(&a, "-k");
			secrets = bhyve_secrets_path(mon);
			argv_add(&a, "%s", secrets);
			free(secrets);
		}
		argv_add(&a, "-s");
		argv_add(&a, "%d,xhci,tablet", BHYVE_SLOT_XHCI);
	}
	argv_add(&a, "-s");
	argv_add(&a, "%d,virtio-rnd", BHYVE_SLOT_RND);
	argv_add(&a, "-l");
	if (vm_conf_bios(vm))
		argv_add(&a, "bootrom,%s", mon->agent.bios_firmware);
	else
		argv_add(&a, "bootrom,%s,%s", mon->agent.uefi_firmware,
		    vm->uefi_vars);
	if (vm->vnc_kbd_layout != NULL) {
		xasprintf(&layout, "%s/%s", BHYVE_KBDLAYOUT_DIR,
		    vm->vnc_kbd_layout);
		if (path_exists(layout)) {
			argv_add(&a, "-K");
			argv_add(&a, "%s", vm->vnc_kbd_layout);
		} else
			log_warnx("%s: keyboard layout %s not found, ignored",
			    mon->name, layout);
		free(layout);
	}
	if (vm->iso_path != NULL) {
		argv_add(&a, "-s");
		argv_add(&a, "%d,ahci-cd,%s,ro", BHYVE_SLOT_CD, vm->iso_path);
	}
	if (vm->console) {
		com1 = console_tty_path(mon);
		argv_add(&a, "-l");
		argv_add(&a, "com1,%s", com1);
		free(com1);
	}
	argv_add(&a, "%s", mon->name);
	return (a.v);
}

static void
bhyve_settled_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mon	*mon = arg;

	if (mon->pid > 0 && (pid_t)(intptr_t)mon->drvdata == mon->pid)
		mon_running(mon);
}

static void
bhyve_spawned(struct mon *mon)
{
	struct timeval	tv = { BHYVE_SETTLE_MS / 1000,
			    (BHYVE_SETTLE_MS % 1000) * 1000 };

	/*
	 * bhyve has no handshake.  A bhyve that exits within the first
	 * moment (a usage error, a device it cannot open: exit 1 or 4) did
	 * not start; one still there afterwards runs the guest.
	 */
	mon->drvdata = (void *)(intptr_t)mon->pid;
	event_base_once(mon->base, -1, EV_TIMEOUT, bhyve_settled_cb, mon, &tv);
}

static int
bhyve_shutdown(struct mon *mon, char **cause)
{
	if (mon->pid <= 0 || kill(mon->pid, SIGTERM) == -1) {
		xasprintf(cause, "%s: cannot signal bhyve: %s", mon->name,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static int
bhyve_poweroff(struct mon *mon, char **cause)
{
	return (bhyve_bhyvectl(mon, "--force-poweroff", cause));
}

static int
bhyve_reset(struct mon *mon, char **cause)
{
	return (bhyve_bhyvectl(mon, "--force-reset", cause));
}

static enum vm_exit
bhyve_exit_reason(struct mon *mon, int status)
{
	if (WIFSIGNALED(status))
		return (VM_EXIT_SIGNAL);
	switch (WEXITSTATUS(status)) {
	case 0:
		return (VM_EXIT_REBOOT);
	case 1:
		return (VM_EXIT_POWEROFF);
	case 2:
		return (VM_EXIT_HALT);
	case 3:
		return (VM_EXIT_TRIPLEFAULT);
	default:
		return (VM_EXIT_ERROR);
	}
}

static void
bhyve_cleanup(struct mon *mon)
{
	char	*cause = NULL, *path;

	/* Harmless when the instance is gone already. */
	if (bhyve_bhyvectl(mon, "--destroy", &cause) == -1) {
		log_debug("%s", cause);
		free(cause);
	}
	bhyve_destroy_taps(mon);
	path = bhyve_secrets_path(mon);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s: unlink %s", mon->name, path);
	free(path);
}

const struct vm_driver driver_bhyve = {
	.name = "bhyve",
	.prepare = bhyve_prepare,
	.argv = bhyve_argv,
	.spawned = bhyve_spawned,
	.shutdown = bhyve_shutdown,
	.poweroff = bhyve_poweroff,
	.reset = bhyve_reset,
	.exit_reason = bhyve_exit_reason,
	.cleanup = bhyve_cleanup,
};
