/* annotations.h: the config.json annotations husk reads, in one place: the image config's
 * fields (written there by husk for an image, by umoci, podman or containerd for a bundle)
 * and husk's own. */
#pragma once

/* The image config's Healthcheck object, as JSON text ({"Test":[...],"Interval":ns,...}). */
#define HEALTH_ANNOTATION "io.husk.healthcheck"
/* The image config's StopSignal, as umoci and podman write it, and as containerd does. */
#define STOP_SIGNAL_ANNOTATION "org.opencontainers.image.stopSignal"
#define STOP_SIGNAL_ANNOTATION_CONTAINERD "io.containerd.image.config.stop-signal"
#define STOP_TIMEOUT_ANNOTATION "io.husk.stopTimeout" /* whole seconds */
/* The image (its id, "sha256:...") whose layers are the container's root filesystem: an
 * overlay husk mounts, with root.path then only naming where (see image/). */
#define IMAGE_ANNOTATION "io.husk.image"
/* "true": the container's pid 1 is husk's own init (run --init: process/trampoline/). */
#define INIT_ANNOTATION "io.husk.init"
/* The named volumes a container mounts, their _data directories joined by ",": husk volume rm
 * and prune leave those alone while the container exists. */
#define VOLUMES_ANNOTATION "io.husk.volumes"
