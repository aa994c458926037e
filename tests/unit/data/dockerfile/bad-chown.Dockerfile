FROM alpine
RUN echo ok
COPY --chown=a:b:c x /y
