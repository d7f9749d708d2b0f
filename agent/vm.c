/*
 * The VM registry: one struct vm per configured VM, its state as last
 * reported by its monitor, and the agent's allocations (VNC ports, taps)
 * which are kept in RUNDIR/allocations so they stay stable across
 * restarts of the VM and of the agent.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "jline.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct vm *
vm_find(const char *name)
{
	struct vm	*vm;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		if (strcmp(vm->name, name) == 0)
			return (vm);
	}
	return (NULL);
}

struct vm *
vm_add(struct vm_conf *conf)
{
	struct vm	*vm;

	vm = xcalloc(1, sizeof *vm);
	vm->name = xstrdup(conf->name);
	vm->conf = conf;
	vm->state = VM_STOPPED;
	vm->pid = -1;
	vm->monitor_pid = -1;
	vm->vnc_port = -1;
	vm->outcome = VM_NSTOPS;
	TAILQ_INIT(&vm->waiters);
	TAILQ_INSERT_TAIL(&agent->vms, vm, entry);
	agent->nvms++;
	return (vm);
}

void
vm_remove(struct vm *vm)
{
	int	i;

	TAILQ_REMOVE(&agent->vms, vm, entry);
	agent->nvms--;
	/* A stopped VM's monitor may still be exiting: no callback later. */
	if (vm->link != NULL)
		jline_free(vm->link);
	vm_conf_free(vm->conf);
	for (i = 0; i < VM_MAX_NICS; i++) {
		free(vm->taps[i]);
		free(vm->macs[i]);
	}
	autostart_forget(vm);
	free(vm->message);
	free(vm->waiting_for);
	free(vm->iso_running);
	free(vm->name);
	free(vm);
}

/* The first disk, vars or ISO path that does not exist (storage locked). */
const char *
vm_missing_path(struct vm *vm)
{
	int	i;

	for (i = 0; i < vm->conf->ndisks; i++) {
		if (!path_exists(vm->conf->disks[i]))
			return (vm->conf->disks[i]);
	}
	if (vm->conf->iso_path != NULL && !path_exists(vm->conf->iso_path))
		return (vm->conf->iso_path);
	if (vm->conf->uefi_vars != NULL && !path_exists(vm->conf->uefi_vars)) {
		static char	dir[PATH_MAX];
		char		*slash;

		/* A missing vars file is copied; its directory must exist. */
		strlcpy(dir, vm->conf->uefi_vars, sizeof dir);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (!path_exists(dir))
				return (dir);
		}
	}
	return (NULL);
}

void
vm_info_fill(struct vm *vm, struct vm_info *info)
{
	int	live;

	memset(info, 0, sizeof *info);
	live = proto_state_live(vm->state);
	info->name = vm->name;
	info->state = vm->state;
	info->pid = live ? vm->pid : -1;
	info->vcpus = vm_conf_vcpus(vm->conf);
	info->memory_mb = vm->conf->memory_mb;
	info->vnc_host = vm->conf->vnc ? vm->conf->vnc_bind : NULL;
	info->vnc_port = vm->conf->vnc ? vm->vnc_port : -1;
	info->uptime_s = live && vm->started != 0 ?
	    (long long)(time(NULL) - vm->started) : -1;
	info->iso = vm->conf->iso_path;
	info->last_exit = vm->last_exit;
	info->last_exit_time = vm->last_exit_time;
	info->console = vm->conf->console;
	info->waiting_for = vm->waiting_for;
}

/* The wire object for list/status/events, plus agent-only extras. */
json_t *
vm_json(struct vm *vm)
{
	struct vm_info	 info;
	json_t		*o, *a;
	int		 i;

	vm_info_fill(vm, &info);
	o = proto_vm_to_json(&info);
	json_object_set_new(o, "monitor_pid", vm->monitor_pid > 0 &&
	    proto_state_live(vm->state) ?
	    json_integer(vm->monitor_pid) : json_null());
	json_object_set_new(o, "message", vm->message != NULL ?
	    json_string(vm->message) : json_null());
	json_object_set_new(o, "outcome", vm->outcome != VM_NSTOPS ?
	    json_string(proto_stop_name(vm->outcome)) : json_null());
	json_object_set_new(o, "config_file", json_string(vm->conf->file));
	json_object_set_new(o, "removed", json_boolean(vm->removed));
	a = json_array();
	for (i = 0; i < vm->conf->ndisks; i++)
		json_array_append_new(a, json_string(vm->conf->disks[i]));
	json_object_set_new(o, "disks", a);
	json_object_set_new(o, PF_FIRMWARE, json_string(vm->conf->firmware));
	json_object_set_new(o, "uefi_vars",
	    proto_json_string(vm->conf->uefi_vars));
	a = json_array();
	for (i = 0; i < vm->conf->nnics; i++) {
		json_t	*n = json_object();

		json_object_set_new(n, "tap", vm->taps[i] != NULL ?
		    json_string(vm->taps[i]) : json_null());
		json_object_set_new(n, "bridge", vm->conf->nics[i].bridge ?
		    json_string(vm->conf->nics[i].bridge) : json_null());
		json_object_set_new(n, "mac", vm->macs[i] != NULL ?
		    json_string(vm->macs[i]) : json_null());
		json_array_append_new(a, n);
	}
	json_object_set_new(o, "nics", a);
	json_object_set_new(o, "cpu_sockets",
	    json_integer(vm->conf->cpu_sockets));
	json_object_set_new(o, "cpu_cores", json_integer(vm->conf->cpu_cores));
	json_object_set_new(o, "cpu_threads",
	    json_integer(vm->conf->cpu_threads));
	json_object_set_new(o, "shutdown_timeout",
	    json_integer(vm->conf->shutdown_timeout));
	json_object_set_new(o, "autostart",
	    json_boolean(vm->conf->autostart));
	return (o);
}

void
vm_set_state(struct vm *vm, enum vm_state state)
{
	json_t	*ev;

	if (vm->state == state)
		return;
	log_debug("%s: %s -> %s", vm->name, proto_state_name(vm->state),
	    proto_state_name(state));
	vm->state = state;
	ev = vm_event(vm, PROTO_EV_STATE);
	server_broadcast(ev);
	json_decref(ev);
	cmd_waiters_check(vm);
}

/* An event carrying the VM object: {"event": name, "vm": {...}}. */
json_t *
vm_event(struct vm *vm, const char *name)
{
	json_t	*body = json_object();

	json_object_set_new(body, PF_VM, vm_json(vm));
	return (proto_event(name, body));
}

/* Details changed without a state change (pid, waiting): tell. */
void
vm_changed(struct vm *vm)
{
	json_t	*ev;

	ev = vm_event(vm, PROTO_EV_STATE);
	server_broadcast(ev);
	json_decref(ev);
}

/* ---------------------------------------------------------- allocations */

static int
vm_port_used(int port, struct vm *self)
{
	struct vm	*vm;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		if (vm == self)
			continue;
		if (vm->conf->vnc_port == port || vm->vnc_port == port)
			return (1);
	}
	return (0);
}

static int
vm_tap_used(const char *tap, struct vm *self)
{
	struct vm	*vm;
	int		 i;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		for (i = 0; i < VM_MAX_NICS; i++) {
			if (vm == self && vm->taps[i] == NULL)
				continue;
			if (i < vm->conf->nnics &&
			    vm->conf->nics[i].tapdev != NULL &&
			    strcmp(vm->conf->nics[i].tapdev, tap) == 0)
				return (1);
			if (vm->taps[i] != NULL && strcmp(vm->taps[i], tap) == 0)
				return (1);
		}
	}
	return (0);
}

static int
vm_mac_used(const char *mac, struct vm *self, int nic)
{
	struct vm	*vm;
	int		 i;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		for (i = 0; i < VM_MAX_NICS; i++) {
			if (vm == self && i == nic)
				continue;
			if (i < vm->conf->nnics && vm->conf->nics[i].mac != NULL &&
			    strcasecmp(vm->conf->nics[i].mac, mac) == 0)
				return (1);
			if (vm->macs[i] != NULL &&
			    strcasecmp(vm->macs[i], mac) == 0)
				return (1);
		}
	}
	return (0);
}

/*
 * A stable locally administered MAC from the VM name and NIC index, never
 * one another VM has (on a clash, the next candidate of the same hash).
 */
static char *
vm_make_mac(struct vm *vm, int nic)
{
	unsigned int	 h = 2166136261u, salt;
	const char	*p;
	char		*mac;

	for (p = vm->name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ (unsigned int)nic) * 16777619u;
	for (salt = 0;; salt++) {
		unsigned int	v = (h ^ salt) * 16777619u;

		xasprintf(&mac, "02:a1:%02x:%02x:%02x:%02x", (v >> 24) & 0xff,
		    (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
		if (!vm_mac_used(mac, vm, nic))
			return (mac);
		free(mac);
	}
}

/*
 * Give the VM what its config leaves out: a VNC port from vnc_ports and a
 * tap per bridged NIC.  Allocations stay with the VM.
 */
void
vm_allocate(struct vm *vm)
{
	struct agent_conf	*ac = &agent->conf->agent;
	char			 tap[16];
	int			 port, i, n, changed = 0;

	if (vm->conf->vnc_port > 0)
		vm->vnc_port = vm->conf->vnc_port;
	else if (vm->conf->vnc && (vm->vnc_port <= 0 ||
	    vm_port_used(vm->vnc_port, vm))) {
		vm->vnc_port = -1;
		for (port = ac->vnc_port_min; port <= ac->vnc_port_max;
		    port++) {
			if (!vm_port_used(port, vm)) {
				vm->vnc_port = port;
				changed = 1;
				break;
			}
		}
		if (vm->vnc_port == -1)
			log_warnx("%s: no free VNC port in %d-%d", vm->name,
			    ac->vnc_port_min, ac->vnc_port_max);
	}
	for (i = 0; i < vm->conf->nnics; i++) {
		if (vm->conf->nics[i].tapdev != NULL) {
			free(vm->taps[i]);
			vm->taps[i] = xstrdup(vm->conf->nics[i].tapdev);
		} else if (vm->taps[i] == NULL) {
			for (n = AGENT_TAP_BASE;; n++) {
				snprintf(tap, sizeof tap, "tap%d", n);
				if (!vm_tap_used(tap, vm))
					break;
			}
			vm->taps[i] = xstrdup(tap);
			changed = 1;
		}
		if (vm->conf->nics[i].mac != NULL) {
			free(vm->macs[i]);
			vm->macs[i] = xstrdup(vm->conf->nics[i].mac);
		} else if (vm->macs[i] == NULL) {
			vm->macs[i] = vm_make_mac(vm, i);
			changed = 1;
		}
	}
	if (changed)
		vm_alloc_save();
}

/* RUNDIR/allocations: "NAME vnc=PORT tap0=TAP mac0=MAC ..." per line. */
void
vm_alloc_save(void)
{
	struct vm	*vm;
	char		*path, *buf = NULL, *line, *t;
	int		 i;

	buf = xstrdup("");
	TAILQ_FOREACH(vm, &agent->vms, entry) {
		xasprintf(&line, "%s vnc=%d", vm->name, vm->vnc_port);
		for (i = 0; i < VM_MAX_NICS; i++) {
			if (vm->taps[i] != NULL) {
				xasprintf(&t, "%s tap%d=%s", line, i,
				    vm->taps[i]);
				free(line);
				line = t;
			}
			if (vm->macs[i] != NULL) {
				xasprintf(&t, "%s mac%d=%s", line, i,
				    vm->macs[i]);
				free(line);
				line = t;
			}
		}
		xasprintf(&t, "%s%s\n", buf, line);
		free(buf);
		free(line);
		buf = t;
	}
	xasprintf(&path, "%s/allocations", agent->rundir);
	if (write_file_atomic(path, buf, strlen(buf), 0644) == -1)
		log_warn("writing %s", path);
	free(path);
	free(buf);
}

void
vm_alloc_load(void)
{
	struct vm	*vm;
	char		*path, *data, *p, *line, *tok, *eq;
	int		 i;

	xasprintf(&path, "%s/allocations", agent->rundir);
	data = read_file(path, 1 << 24, NULL);
	free(path);
	if (data == NULL)
		return;
	for (p = data; (line = strsep(&p, "\n")) != NULL;) {
		if ((tok = strsep(&line, " ")) == NULL || *tok == '\0')
			continue;
		if ((vm = vm_find(tok)) == NULL)
			continue;
		while ((tok = strsep(&line, " ")) != NULL) {
			if ((eq = strchr(tok, '=')) == NULL)
				continue;
			*eq++ = '\0';
			if (strcmp(tok, "vnc") == 0)
				vm->vnc_port = atoi(eq);
			else if (strncmp(tok, "tap", 3) == 0) {
				i = atoi(tok + 3);
				if (i >= 0 && i < VM_MAX_NICS &&
				    vm->taps[i] == NULL)
					vm->taps[i] = xstrdup(eq);
			} else if (strncmp(tok, "mac", 3) == 0) {
				i = atoi(tok + 3);
				if (i >= 0 && i < VM_MAX_NICS &&
				    vm->macs[i] == NULL)
					vm->macs[i] = xstrdup(eq);
			}
		}
	}
	free(data);
}
