<?php
/**
 * The post's syndication controls, as post meta shown in the REST API (and so in what is sent
 * to Syndicate): whether to share it, on which channels, with which copy, and not before when.
 * Editors set them as custom fields, or through the REST API's `meta`.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_action( 'init', 'syndicate_register_meta' );

function syndicate_meta_fields() {
	return array(
		'syndicate_share'            => array(
			'type'    => 'boolean',
			'default' => true,
			'label'   => 'Share on social media',
		),
		'syndicate_channels'         => array(
			'type'    => 'string',
			'default' => '',
			'label'   => 'Only these channels (comma-separated names)',
		),
		'syndicate_exclude_channels' => array(
			'type'    => 'string',
			'default' => '',
			'label'   => 'Never these channels (comma-separated names)',
		),
		'syndicate_social_title'     => array(
			'type'    => 'string',
			'default' => '',
			'label'   => 'Social headline',
		),
		'syndicate_social_text'      => array(
			'type'    => 'string',
			'default' => '',
			'label'   => 'Social copy',
		),
		'syndicate_not_before'       => array(
			'type'    => 'string',
			'default' => '',
			'label'   => 'Embargo: no post before (ISO 8601, e.g. 2026-12-03T06:00:00Z)',
		),
	);
}

function syndicate_register_meta() {
	foreach ( syndicate_post_types() as $type ) {
		foreach ( syndicate_meta_fields() as $key => $field ) {
			register_post_meta(
				$type,
				$key,
				array(
					'type'          => $field['type'],
					'description'   => $field['label'],
					'single'        => true,
					'default'       => $field['default'],
					'show_in_rest'  => true,
					'auth_callback' => function () {
						return current_user_can( 'edit_posts' );
					},
				)
			);
		}
	}
}
