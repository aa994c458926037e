#!/usr/bin/env bash
# A single-node docker swarm whose dockerd has estiba as its default
# runtime: a service scaled to 3 replicas runs every task with estiba, is
# removed with all its containers, and the node leaves the swarm.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd dockerd containerd containerd-shim-runc-v2 jq script unshare ip sha256sum
. "$(dirname "$0")/../lib/daemons.sh"
require_file "$DOCKER_CLIENT" "docker.io's client $DOCKER_CLIENT is not installed"

docker_test_prepare
# dockerd runs in a network namespace of its own (daemons.sh): the swarm's
# port, its overlay network and docker_gwbridge stay in there.
dockerd_start "$TEST_TMP/d" "$(jq -nc --arg p "/$cgparent" '{"cgroup-parent": $p, "default-runtime": "estiba"}')"
estate=$DOCKER_DIR/x/runtime-runc/moby
check "docker load" dk load -i "$TEST_TMP/img.tar"
is "$(dk info --format '{{.DefaultRuntime}}')" estiba "estiba is dockerd's default runtime"

run_cmd dk swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377
is "$status" 0 "docker swarm init --advertise-addr 127.0.0.1"
is "$(dk info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')" "active true" "the node is an active manager"

# The image is only local: no registry lookup for its digest.
run_cmd dk service create --detach --no-resolve-image --name web --replicas 1 estiba-test /probe signal-wait
is "$status" 0 "docker service create"

# running_tasks: the ids of the service's running containers.
running_tasks ()
{
  dk ps -q --no-trunc --filter label=com.docker.swarm.service.name=web --filter status=running
}
replicas_are ()
{
  [ "$(dk service ls --filter name=web --format '{{.Replicas}}')" = "$1" ] && [ "$(running_tasks | wc -l)" -eq "${1%/*}" ]
}
wait_for 60 replicas_are 1/1
ok_if "the service runs 1 replica" $?

check "docker service scale web=3" dk service scale --detach web=3
wait_for 60 replicas_are 3/3
ok_if "the service runs 3 replicas" $?
run_cmd dk service ps --filter desired-state=running --format '{{.CurrentState}}' web
is "$(grep -c '^Running' <<<"$output")" 3 "docker service ps: 3 tasks running"

ids=$(running_tasks)
is "$(wc -l <<<"$ids")" 3 "3 task containers"
n_estiba=0 n_state=0 n_cgroup=0
for id in $ids; do
  [ "$(dk inspect -f '{{.HostConfig.Runtime}}' "$id")" = estiba ] && n_estiba=$((n_estiba + 1))
  [ "$(estiba_r "$estate" state "$id" | jq -r .status)" = running ] && n_state=$((n_state + 1))
  [ -d "/sys/fs/cgroup/pids/$cgparent/$id" ] && n_cgroup=$((n_cgroup + 1))
done
is "$n_estiba" 3 "docker inspect: every task's runtime is estiba"
is "$n_state" 3 "estiba's state under dockerd's runtime root: every task running"
is "$n_cgroup" 3 "every task has its cgroup"
first=$(head -n 1 <<<"$ids")
run_cmd dk exec "$first" /probe ids
is "$(kv "$output" uid)" 0 "docker exec into a task"

check "docker service rm" dk service rm web
wait_for 60 bash -c "[ -z \"\$(timeout 20 '$DOCKER_CLIENT' -H 'unix://$DOCKER_SOCK' ps -aq --filter label=com.docker.swarm.service.name=web)\" ]"
ok_if "the service's containers are gone" $?
wait_for 10 bash -c "[ -z \"\$(ls -A '$estate' | grep -v '^\\.')\" ]"
ok_if "estiba's runtime root holds no container" $?
n_left=0
for id in $ids; do
  [ -e "/sys/fs/cgroup/pids/$cgparent/$id" ] && n_left=$((n_left + 1))
done
is "$n_left" 0 "the tasks' cgroups are removed"

check "docker swarm leave --force" dk swarm leave --force
is "$(dk info --format '{{.Swarm.LocalNodeState}}')" inactive "the node is out of the swarm"

done_testing
