package sentinel.stack;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

public class WrittenOnlySinkTask extends SinkTask {
    public static final String MESSAGE = "poison record reported by test sink";
    private ErrantRecordReporter reporter;
    /** Per partition, the offset after the last record written: what preCommit hands Connect. */
    private final Map<TopicPartition, OffsetAndMetadata> written = new HashMap<>();

    @Override public String version() { return WrittenOnlySinkConnector.VERSION; }

    @Override public void start(Map<String, String> props) {
        reporter = context.errantRecordReporter();
        if (reporter == null) throw new ConnectException("ErrantRecordReporter unavailable: configure errors.tolerance/DLQ");
    }

    @Override public void put(Collection<SinkRecord> records) {
        for (SinkRecord record : records) {
            if (String.valueOf(record.value()).contains("poison")) {
                reporter.report(record, new DataException(MESSAGE));
            } else {
                written.put(new TopicPartition(record.topic(), record.kafkaPartition()),
                        new OffsetAndMetadata(record.kafkaOffset() + 1));
            }
        }
    }

    @Override public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> current) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : current.keySet()) {
            OffsetAndMetadata w = written.get(tp);
            if (w != null) out.put(tp, w);
        }
        return out;
    }

    @Override public void close(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) written.remove(tp);
    }

    @Override public void stop() { }
}
