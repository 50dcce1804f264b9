# ClinicOps image: the wheel and its dependencies, nothing else from the source tree.
#
#   docker build -t clinicops:0.1.0 .
#   docker run --rm --env-file clinicops.env clinicops:0.1.0 migrate                # once per release
#   docker run -d --env-file clinicops.env -p 8000:8000 --stop-timeout 40 clinicops:0.1.0   # the API
#   docker run -d --env-file clinicops.env --no-healthcheck --stop-timeout 40 clinicops:0.1.0 worker
#
# docs/operations.md explains the settings and the processes. tests/deploy/ runs the same steps on every test
# run (wheel from pyproject.toml + README.md + src/, a fresh virtualenv, migrate, serve, worker).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the wheel only -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Keep these inputs identical to BUILD_INPUTS in tests/deploy/install.py.
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-deps --wheel-dir /dist .

# --- runtime: a virtualenv with the wheel installed, run as a non-root user ------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/clinicops \
    PATH=/opt/clinicops/bin:$PATH \
    CLINICOPS_ENV=production
RUN python -m venv /opt/clinicops
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/clinicops-*.whl && rm -rf /tmp/dist
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /home/clinicops clinicops
USER clinicops
WORKDIR /home/clinicops

EXPOSE 8000
STOPSIGNAL SIGTERM
# Liveness only (the process answers): the load balancer probes /api/health/ready, monitoring /api/health.
# The worker serves no HTTP: run it with --no-healthcheck (compose: healthcheck: {disable: true}).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health/live', timeout=4)"]

ENTRYPOINT ["clinicops"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--graceful-timeout", "30"]
