package sentinel.stack;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Stand-in for org.apache.kafka.connect.tools.MockSinkConnector (connect-test-plugins is not
 * published on Maven Central for 3.9.1 / 4.1.x). Same keys: {@code mock_mode} =
 * {@code connector-failure} | {@code task-failure} | {@code slow} | anything else (healthy), {@code delay_ms}
 * (default 15000). Always one task.
 * connector-failure: after delay_ms, context.raiseError(RuntimeException(CONNECTOR_FAILURE)).
 * task-failure: put() throws RuntimeException(TASK_FAILURE) once delay_ms has passed (no data needed).
 * slow (not in MockSinkConnector): put() takes delay_ms for every batch of records, and the worker commits
 * nothing meanwhile: a RUNNING sink that does not keep up with records that keep arriving.
 */
public class FailingSinkConnector extends SinkConnector {
    public static final String CONNECTOR_FAILURE = "simulated connector failure (mock_mode=connector-failure)";
    static final String VERSION = "1.0.0";
    private Map<String, String> props;
    private ScheduledExecutorService executor;

    @Override public String version() { return VERSION; }

    @Override public void start(Map<String, String> props) {
        this.props = props;
        if ("connector-failure".equals(props.get("mock_mode"))) {
            long delay = delayMs(props);
            executor = Executors.newSingleThreadScheduledExecutor();
            executor.schedule(() -> context.raiseError(new RuntimeException(CONNECTOR_FAILURE)), delay, TimeUnit.MILLISECONDS);
        }
    }

    static long delayMs(Map<String, String> props) {
        String d = props.get("delay_ms");
        return d == null || d.isEmpty() ? 15000L : Long.parseLong(d);
    }

    @Override public Class<? extends Task> taskClass() { return FailingSinkTask.class; }
    @Override public List<Map<String, String>> taskConfigs(int maxTasks) { return Collections.singletonList(props); }
    @Override public void stop() { if (executor != null) executor.shutdownNow(); }
    @Override public ConfigDef config() { return new ConfigDef(); }
}
