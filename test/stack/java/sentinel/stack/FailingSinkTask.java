package sentinel.stack;

import java.util.Collection;
import java.util.Map;

import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

public class FailingSinkTask extends SinkTask {
    public static final String TASK_FAILURE = "simulated task failure (mock_mode=task-failure)";
    private boolean fail;
    private boolean slow;
    private long failAt;
    private long delay;

    @Override public String version() { return FailingSinkConnector.VERSION; }

    @Override public void start(Map<String, String> props) {
        fail = "task-failure".equals(props.get("mock_mode"));
        slow = "slow".equals(props.get("mock_mode"));
        delay = FailingSinkConnector.delayMs(props);
        failAt = System.currentTimeMillis() + delay;
        if (fail) context.timeout(Math.max(1L, Math.min(delay, 250L)));
    }

    @Override public void put(Collection<SinkRecord> records) {
        if (slow && !records.isEmpty()) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (fail) {
            if (System.currentTimeMillis() >= failAt) throw new RuntimeException(TASK_FAILURE);
            context.timeout(Math.max(1L, Math.min(delay, 250L)));
        }
    }

    @Override public void stop() { }
}
