# syntax=docker/dockerfile:1
FROM debian
RUN <<EOT bash
  set -ex
  apt-get update
  apt-get install -y vim
EOT
RUN <<EOT
mkdir -p foo/bar
EOT
COPY <<-EOT /script.sh
	echo "hello ${FOO}"
	EOT
RUN python3 <<EOF
with open("/hello", "w") as f:
    print("Hello", file=f)
EOF
RUN --mount=type=cache,target=/var/cache/apt <<EOF > /log
apt-get update
EOF
ENV A=1 \
    B=2
