package sentinel.stack;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Test sink that reports EVERY record through KIP-610's ErrantRecordReporter (DLQ stage TASK_PUT,
 * class.name org.apache.kafka.connect.sink.SinkTask) with a
 * {@code org.apache.kafka.connect.errors.DataException("errant record reported by test sink")}.
 * Needs {@code errors.tolerance=all} plus a DLQ (or errors.log.enable) to stay RUNNING.
 */
public class ErrantRecordSinkConnector extends SinkConnector {
    static final String VERSION = "1.0.0";
    private Map<String, String> props;

    @Override public String version() { return VERSION; }
    @Override public void start(Map<String, String> props) { this.props = props; }
    @Override public Class<? extends Task> taskClass() { return ErrantRecordSinkTask.class; }
    @Override public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) configs.add(props);
        return configs;
    }
    @Override public void stop() { }
    @Override public ConfigDef config() { return new ConfigDef(); }
}
