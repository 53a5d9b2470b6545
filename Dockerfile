# The fmnist-lab app image (serve by default; pipelines run with another command).
# Build: docker build -t fmnist-lab .   Run: docker run -p 8000:8000 -v fmnist-state:/state fmnist-lab
FROM denoland/deno:2.9.6

WORKDIR /app
ENV DENO_DIR=/app/.deno-cache \
    FMNIST_STATE_DIR=/state \
    PORT=8000

# Dependencies first: this layer is rebuilt only when deno.json / deno.lock change.
COPY deno.json deno.lock ./
RUN deno install --frozen

# Then the code; cache the entry points' module graphs so the container starts without fetching.
COPY lib/ lib/
COPY serve/ serve/
COPY pipelines/ pipelines/
COPY data/ data/
RUN deno cache serve/main.ts pipelines/pipeline.ts pipelines/doctor.ts \
    && mkdir -p /state \
    && chown -R deno:deno /state /app/.deno-cache

# Non-root (the base image's `deno` user); state lives on a volume.
USER deno
VOLUME ["/state"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:' + (Deno.env.get('PORT') ?? '8000') + '/healthz'); Deno.exit(r.ok ? 0 : 1)"]

ENTRYPOINT ["deno"]
CMD ["run", "-A", "serve/main.ts"]
