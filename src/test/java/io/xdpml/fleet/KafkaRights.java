package io.xdpml.fleet;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Rights on a {@link LocalBroker} started with {@link #AUTHORIZER}: the right to read a topic
 * refused for a while (an ACL that denies), so that a real blocks consumer fails, as it does when an
 * operator takes a right away; and given back.
 */
public final class KafkaRights {
    /** Kafka's own authorizer, every right granted while no ACL names the resource. */
    public static final Map<String, String> AUTHORIZER = Map.of("authorizer.class.name",
            "org.apache.kafka.metadata.authorizer.StandardAuthorizer", "allow.everyone.if.no.acl.found", "true");

    private KafkaRights() {}

    /** The ACLs that refuse reading {@code topic} and allow everything else there (an ACL on it ends "allowed while none"). */
    static List<AclBinding> denyingRead(String topic) {
        ResourcePattern onTopic = new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL);
        return List.of(new AclBinding(onTopic, new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.ALL, AclPermissionType.ALLOW)),
                new AclBinding(onTopic, new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.READ, AclPermissionType.DENY)));
    }

    /** Refuses every client the right to read {@code topic} (writing and describing it stay allowed). */
    public static void denyRead(String bootstrap, String topic) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.createAcls(denyingRead(topic)).all().get(10, TimeUnit.SECONDS);
        }
    }

    /** Gives the right back ({@link #denyRead} undone). */
    public static void allowRead(String bootstrap, String topic) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.deleteAcls(denyingRead(topic).stream().map(AclBinding::toFilter).toList()).all().get(10, TimeUnit.SECONDS);
        }
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }
}
