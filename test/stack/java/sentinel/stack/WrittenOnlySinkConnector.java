package sentinel.stack;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Test sink that commits only what it wrote, as sinks do that hand Connect their own offsets from
 * preCommit: a record whose value contains "poison" is reported through the ErrantRecordReporter (to the
 * DLQ, stage TASK_PUT) and is NOT committed past; any other record is "written" and committed. So when the
 * last records of a partition are poison, its lag stays at their count while the task is RUNNING and idle,
 * until a good record follows. Needs {@code errors.tolerance=all} plus a DLQ.
 */
public class WrittenOnlySinkConnector extends SinkConnector {
    static final String VERSION = "1.0.0";
    private Map<String, String> props;

    @Override public String version() { return VERSION; }
    @Override public void start(Map<String, String> props) { this.props = props; }
    @Override public Class<? extends Task> taskClass() { return WrittenOnlySinkTask.class; }
    @Override public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) configs.add(props);
        return configs;
    }
    @Override public void stop() { }
    @Override public ConfigDef config() { return new ConfigDef(); }
}
