/* lsm.h: the confinement a config asks of Linux security modules: process.apparmorProfile,
 * process.selinuxLabel and linux.mountLabel. Each is applied when its module is enabled on
 * the host and refused, by name, when it is not: a requested confinement is never dropped. */
#pragma once

#include <stdbool.h>

struct husk_error;
struct spec;
struct spec_process;

/* AppArmor is enabled: securityfs has it and its module parameter says Y (runc's test). */
bool lsm_apparmor_enabled(void);
/* SELinux is enabled: selinuxfs is mounted at /sys/fs/selinux. */
bool lsm_selinux_enabled(void);

/* Before anything is made: each label the config asks for has its module enabled. */
int lsm_check(const struct spec *spec, struct husk_error **err);
/* The same for a process alone (exec). */
int lsm_check_process(const struct spec_process *proc, struct husk_error **err);

/* In the process, before execve: the AppArmor profile and SELinux label it is executed with
 * (written to /proc/thread-self/attr/apparmor/exec, or attr/exec). No-op without either. */
int lsm_set_exec_labels(const struct spec_process *proc, struct husk_error **err);

/* Mount data with linux.mountLabel added as SELinux's context= option (runc's format); a new
 * string, or NULL when there is no label (data stays as it is). */
char *lsm_mount_data(const char *data, const char *mount_label);
