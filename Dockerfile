# The ml-connector Airflow image: the official Apache Airflow image plus this package, installed at build
# time with the pinned constraints (containers never pip install at start). docker-compose.yaml builds it.
#
#   docker build -t ml-connector-airflow .                    # the product
#   docker build --target sandbox -t ml-connector-sandbox .   # plus the simulators (compose profile `sandbox`)
#
# The Airflow version must be the one pinned in constraints.txt (tests/test_docker_compose.py checks it).
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11

FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION} AS product
ARG AIRFLOW_VERSION
WORKDIR /opt/ml-connector
COPY --chown=airflow:0 constraints.txt pyproject.toml README.md ./
COPY --chown=airflow:0 include ./include
# apache-airflow is named with its version so pip can never swap the image's Airflow for another one.
RUN pip install --no-cache-dir -c constraints.txt "apache-airflow==${AIRFLOW_VERSION}" ".[postgres]"
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
# The tenants file the stack starts with (the demo's; compose points its sandbox region at the service
# `sandbox` with $ML_CONNECTOR_REGIONS); mount your own over it.
COPY --chown=airflow:0 include/ml_connector/demo_tenants.yaml /opt/airflow/config/ml_connector_tenants.yaml
# Staged batches: a volume shared by the workers in compose (or an s3:// URL in $ML_CONNECTOR_STAGING).
RUN mkdir -p /opt/airflow/staging
WORKDIR /opt/airflow

FROM product AS sandbox
COPY --chown=airflow:0 sandbox /opt/ml-connector/sandbox
RUN pip install --no-cache-dir -c /opt/ml-connector/constraints.txt "apache-airflow==${AIRFLOW_VERSION}" \
    /opt/ml-connector/sandbox
